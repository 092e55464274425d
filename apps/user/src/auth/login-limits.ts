// Failed logins are counted per account and per client address in this service's database, so
// the limit holds whichever gateway or replica an attempt goes through (OWASP: throttle, do not
// lock out for good). Past the limit within the window, each further failure doubles the wait.
import { type Executor, RateLimited } from "@evented/core";
import { inArray, sql } from "drizzle-orm";
import { loginFailures } from "./tables.ts";

export interface LimitSettings {
  maxPerAccount: number;
  maxPerAddress: number;
  windowS: number;
  /** The first wait once a limit is reached; doubles with each failure after, up to the window. */
  blockS: number;
}

export const accountKey = (email: string) => `account:${email.trim().toLowerCase()}`;
export const addressKey = (ip: string) => `ip:${ip}`;

export class LoginLimits {
  constructor(
    private readonly db: Executor,
    private readonly s: LimitSettings,
  ) {}

  /** RESOURCE_EXHAUSTED with the seconds to wait while any of the keys is blocked. */
  async check(keys: string[]): Promise<void> {
    const rows = await this.db.select().from(loginFailures).where(inArray(loginFailures.key, keys));
    const until = Math.max(0, ...rows.map((r) => r.blockedUntil?.getTime() ?? 0));
    const waitS = Math.ceil((until - Date.now()) / 1000);
    if (waitS > 0) throw new RateLimited(`too many failed logins; try again in ${waitS} s`, waitS);
  }

  async fail(keys: string[]): Promise<void> {
    for (const key of keys) {
      const max = key.startsWith("ip:") ? this.s.maxPerAddress : this.s.maxPerAccount;
      const { windowS, blockS } = this.s;
      // One statement: the count restarts when the window has passed, and the wait is set from the new count.
      await this.db.execute(sql`
        insert into login_failures as f (key, failures, first_at, blocked_until)
        values (${key}, 1, now(), case when 1 >= ${max}::int then now() + make_interval(secs => ${blockS}::int) end)
        on conflict (key) do update set
          failures = case when f.first_at < now() - make_interval(secs => ${windowS}::int) then 1 else f.failures + 1 end,
          first_at = case when f.first_at < now() - make_interval(secs => ${windowS}::int) then now() else f.first_at end,
          blocked_until = case
            when (case when f.first_at < now() - make_interval(secs => ${windowS}::int) then 1 else f.failures + 1 end) >= ${max}::int
            then now() + make_interval(secs => least(${windowS}::int, ${blockS}::int * power(2, (case when f.first_at < now() - make_interval(secs => ${windowS}::int) then 1 else f.failures + 1 end) - ${max}::int)))
          end`);
    }
  }

  /** A success forgets the account's failures (the address keeps its count: it may be guessing many accounts). */
  async succeed(key: string): Promise<void> {
    await this.db.delete(loginFailures).where(inArray(loginFailures.key, [key]));
  }
}

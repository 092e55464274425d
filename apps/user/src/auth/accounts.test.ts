// Accounts against the real PostgreSQL (fresh database, real migrations): transactions that lock a
// user's row and its tokens race without deadlocking (a deadlock aborts one of them, 40P01 -> 409),
// because all of them lock the user's row first.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createLogger, pgCode, unseal } from "@evented/core";
import { serviceUnderTest, testEmail, testPassword, waitFor } from "@evented/testing";
import { and, eq, isNull } from "drizzle-orm";
import { readConfig } from "../config.ts";
import * as schema from "../schema.ts";
import { UserService } from "../service.ts";
import { sealContext } from "./email-tokens.ts";
import { hashToken } from "./sessions.ts";
import type { EmailPurpose } from "./tables.ts";
import { startAuth } from "./wiring.ts";

setDefaultTimeout(30_000);

const migrationsFolder = new URL("../../../../drizzle/user", import.meta.url).pathname;
const config = readConfig({}).auth;

let svc: Awaited<ReturnType<typeof serviceUnderTest<typeof schema>>>;
let auth: Awaited<ReturnType<typeof startAuth>>;
let users: UserService;

beforeAll(async () => {
  svc = await serviceUnderTest("user_accounts", schema, migrationsFolder);
  auth = await startAuth(config, svc.db.db, svc.outbox, createLogger("user", { level: "silent" }));
  users = new UserService(svc.db.db, svc.outbox, auth.emails);
});

afterAll(() => svc?.close());

/** The token of the last link of `purpose` mailed to the user, opened from its event as the worker would. */
async function link(userId: string, purpose: EmailPurpose): Promise<string> {
  const sent = (await svc.eventsOf(userId)).flatMap((e) =>
    e.payload?.$case === "accountEmailRequested" && e.payload.value.purpose === purpose ? [e.payload.value] : [],
  );
  return unseal(config.emailKey, sent.at(-1)!.sealedToken, sealContext(userId, purpose));
}

const waiting = async () =>
  (await svc.db.client`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)[0]!.n as number;

/**
 * A third transaction holds a row (`hold` locks it); `first` starts and waits for it, then `second`
 * starts and waits too; then the row is let go. Each outcome is "ok" or the error's SQLSTATE.
 */
async function race(hold: string, holdArgs: string[], first: () => Promise<unknown>, second: () => Promise<unknown>) {
  const raw = await svc.db.client.reserve();
  try {
    await raw`begin`;
    expect(await raw.unsafe(hold, holdArgs)).toHaveLength(1);
    const a = first();
    await waitFor("the first to wait", async () => (await waiting()) === 1);
    const b = second();
    await waitFor("both to wait", async () => (await waiting()) === 2);
    await raw`commit`;
    const outcomes = await Promise.allSettled([a, b]);
    return outcomes.map((o) => (o.status === "fulfilled" ? "ok" : (pgCode(o.reason) ?? String(o.reason))));
  } finally {
    await raw`rollback`.catch(() => {});
    raw.release();
  }
}

const holdEmailToken = "select 1 from email_tokens where token_hash = $1 for update";

const unusedTokens = (userId: string, purpose: EmailPurpose) =>
  svc.db.db
    .select({ email: schema.emailTokens.email })
    .from(schema.emailTokens)
    .where(and(eq(schema.emailTokens.userId, userId), eq(schema.emailTokens.purpose, purpose), isNull(schema.emailTokens.usedAt)));

describe("lock order: the user's row, then its tokens", () => {
  test("verifying a new address while the user asks for another one: both apply, one after the other", async () => {
    const user = await users.create({ name: "Ada", email: testEmail("ada"), password: testPassword() });
    const ctx = { caller: { userId: user.id, role: "customer" as const } };
    const [first, second] = [testEmail("first"), testEmail("second")];
    await users.update(user.id, { email: first }, ctx);
    const token = await link(user.id, "verify_email");

    const outcomes = await race(
      holdEmailToken,
      [hashToken(token)],
      () => auth.accounts.verifyEmail(token, {}),
      () => users.update(user.id, { email: second }, ctx),
    );

    expect(outcomes).toEqual(["ok", "ok"]);
    expect(await users.get(user.id)).toMatchObject({ email: first, pendingEmail: second });
    expect(await unusedTokens(user.id, "verify_email")).toEqual([{ email: second }]);
  });

  test("accepting an invitation while the user is deleted: both apply, one after the other", async () => {
    const user = await users.create({ name: "Grace", email: testEmail("grace") });
    const token = await link(user.id, "invitation");

    const outcomes = await race(
      holdEmailToken,
      [hashToken(token)],
      () => auth.accounts.confirmPasswordReset(token, testPassword()),
      () => users.delete(user.id),
    );

    expect(outcomes).toEqual(["ok", "ok"]);
    expect(await svc.db.db.select().from(schema.users).where(eq(schema.users.id, user.id))).toEqual([]);
  });

  test("asking for a password reset while the user is deleted: both apply, one after the other", async () => {
    const user = await users.create({ name: "Alan", email: testEmail("alan"), password: testPassword() });
    await auth.accounts.requestPasswordReset(user.email, {});
    const token = await link(user.id, "password_reset");

    const outcomes = await race(
      holdEmailToken,
      [hashToken(token)],
      () => auth.accounts.requestPasswordReset(user.email, {}),
      () => users.delete(user.id),
    );

    expect(outcomes).toEqual(["ok", "ok"]);
    expect(await svc.db.db.select().from(schema.users).where(eq(schema.users.id, user.id))).toEqual([]);
  });

  test("a refresh while a password reset holds the user: the refresh may add its token (the user's lock is FOR NO KEY UPDATE)", async () => {
    const user = await users.create({ name: "Edsger", email: testEmail("edsger"), password: testPassword() });
    const session = await auth.accounts.sessions.start({ id: user.id, role: user.role });
    await auth.accounts.requestPasswordReset(user.email, {});
    const token = await link(user.id, "password_reset");

    // The refresh waits for its token; the reset locks the user, then waits to end that token's session.
    const outcomes = await race(
      "select 1 from refresh_tokens where token_hash = $1 for update",
      [hashToken(session.refreshToken)],
      () => auth.accounts.sessions.refresh(session.refreshToken),
      () => auth.accounts.confirmPasswordReset(token, testPassword()),
    );

    expect(outcomes).toEqual(["ok", "ok"]);
  });
});

// Many customers for the many-user order scenarios, seeded in seconds rather than minutes: signing
// up 10,000 users through the API costs an argon2id hash each and 10,000 welcome notifications.
// So the rows are written straight into each service's database as the system itself would have
// left them after each UserCreated (the user row, the order service's known_users entry, the
// notification worker's recipient), and each customer's access token is signed with the key the
// bench gave the user service (AUTH_SIGNING_KEYS), by the user service's own token code. The
// system's guarantees stay: every order is placed by its own customer, with a token the gateway
// and the order service verify as usual.
import { unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { tokenClaimsConfig } from "@evented/core";
import postgres from "postgres";
import { type generateSigningJwk, KeyRing, keysFromJwks } from "../../apps/user/src/auth/keys.ts";
import { Sessions } from "../../apps/user/src/auth/sessions.ts";

export interface Customers {
  count: number;
  /** Each customer's id and access token, in the file's order. */
  people: { id: string; token: string }[];
  /** One "id token" per line: what the wrk script and the open-loop generator read. */
  file: string;
  /** Deletes the file (its tokens outlive the run's system by up to their TTL). */
  remove(): Promise<void>;
}

export async function seedCustomers(
  databases: { user: { url: string }; order: { url: string }; notification: { url: string } },
  signingJwk: Awaited<ReturnType<typeof generateSigningJwk>>,
  count: number,
  tokenTtlS = 3600,
): Promise<Customers> {
  const tag = Date.now().toString(36);
  const ids = Array.from({ length: count }, () => Bun.randomUUIDv7());
  const names = ids.map((_, i) => `Customer ${i}`);
  const emails = ids.map((_, i) => `c${i}.${tag}@bench.example.com`);
  const write = async (url: string, insert: (sql: postgres.Sql) => Promise<unknown>) => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await insert(sql);
    } finally {
      await sql.end();
    }
  };
  await Promise.all([
    write(
      databases.user.url,
      (sql) => sql`insert into users (id, name, email, role, email_verified_at)
        select id, name, email, 'customer', now() from unnest(${ids}::uuid[], ${names}::text[], ${emails}::text[]) as t(id, name, email)`,
    ),
    write(databases.order.url, (sql) => sql`insert into known_users (user_id) select unnest(${ids}::uuid[])`),
    write(
      databases.notification.url,
      (sql) => sql`insert into recipients (user_id, name, email, version) select *, 1 from unnest(${ids}::uuid[], ${names}::text[], ${emails}::text[])`,
    ),
  ]);
  const { issuer, audience } = tokenClaimsConfig(process.env);
  const keys = new KeyRing(await keysFromJwks("AUTH_SIGNING_KEYS", { keys: [signingJwk] }));
  // Only accessToken() is used: it signs and touches no database.
  const sessions = new Sessions(undefined as never, keys, { issuer, audience, accessTtlS: tokenTtlS, refreshTtlS: tokenTtlS });
  const people = await Promise.all(ids.map(async (id) => ({ id, token: await sessions.accessToken({ id, role: "customer" }) })));
  const file = `${tmpdir()}/bench-customers-${tag}.txt`;
  await Bun.write(file, `${people.map((p) => `${p.id} ${p.token}`).join("\n")}\n`);
  return { count, people, file, remove: () => unlink(file).catch(() => {}) };
}

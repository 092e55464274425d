// The statements one request causes, counted by pg_stat_statements (see bench/statements.ts), and
// the same count for the bench's pgbench scripts of that request.
import { PG_URL, ROOT } from "@evented/testing";
import postgres from "postgres";
import { seedCustomers } from "./customers.ts";
import { eventProbe } from "./events.ts";
import { startSystem } from "./system.ts";

type DbName = "user" | "order" | "notification";
/** Per database: normalised statement -> calls per request. */
export type Counts = Partial<Record<DbName, Record<string, number>>>;

/** The pgbench scripts of all the SQL of one request, by database, and their -D variables. */
export function allSqlScripts(scenario: "orders" | "users"): { db: DbName; script: string }[] {
  return scenario === "orders"
    ? [
        { db: "order", script: "order-all-order.sql" },
        { db: "notification", script: "order-all-notification.sql" },
      ]
    : [
        { db: "user", script: "user-all-user.sql" },
        { db: "order", script: "user-all-order.sql" },
        { db: "notification", script: "user-all-notification.sql" },
      ];
}

/**
 * Whitespace, case, parameter numbers and constants do not matter: `$3`, `$1`, `1` and `'sent'` are
 * all `$` (pg_stat_statements replaces a statement's constants by parameters, but not always all of
 * them in a statement that has parameters already).
 */
export const normalise = (query: string) =>
  query
    .replace(/--[^\n]*/g, " ")
    .replace(/'(?:[^']|'')*'/g, "$")
    .replace(/(?<![\w"$.])\d+(?![\w"])/g, "$")
    .replace(/\s+/g, " ")
    .replace(/\$\d+/g, "$")
    .replace(/\( /g, "(")
    .replace(/ \)/g, ")")
    .trim()
    .toLowerCase();

/**
 * What the bench itself runs (marked), and pgbench's helpers (bench_helper_*): not the system's. And
 * COMMIT: pg_stat_statements does not record the commits postgres.js sends behind pipelined
 * statements (the system's counts come out 0-2 for 3 transactions), so transactions are counted
 * by their BEGIN.
 */
const isOurs = (q: string) => q.includes("bench-probe") || q.includes("bench_helper") || q.includes("pg_stat_statements") || /^\s*commit\s*;?\s*$/i.test(q);

export async function measureStatements(scenario: "orders" | "users", n: number) {
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  await admin`create extension if not exists pg_stat_statements`;
  const system = await startSystem();
  try {
    const names = Object.fromEntries(Object.entries(system.databases).map(([k, d]) => [d.name, k as DbName]));
    const snapshot = async (): Promise<Record<DbName, Record<string, number>>> => {
      const rows = await admin<{ datname: string; query: string; calls: number }[]>`
        select d.datname, s.query, s.calls::int as calls from pg_stat_statements s join pg_database d on d.oid = s.dbid
        where d.datname = any(${Object.keys(names)})`;
      const out = { user: {}, order: {}, notification: {} } as Record<DbName, Record<string, number>>;
      for (const r of rows) {
        if (isOurs(r.query)) continue;
        const db = names[r.datname]!;
        const q = normalise(r.query);
        out[db][q] = (out[db][q] ?? 0) + r.calls;
      }
      return out;
    };
    const reset = () => admin`select pg_stat_statements_reset()`;
    const customers = await seedCustomers(system.databases, system.signingJwk, n);
    const { people } = customers;
    await customers.remove();
    const { user, order, notification } = system.databases;
    const probe = eventProbe(scenario === "orders" ? order.url : user.url, notification.url);
    try {
      const quiet = async () => {
        await Bun.sleep(300);
        await probe.settled(30_000);
      };
      await quiet();
      await reset();
      const started = performance.now();
      for (let i = 0; i < n; i++) {
        const mark = await probe.mark();
        const { id, token } = people[i]!;
        const res =
          scenario === "orders"
            ? await fetch(`${system.gatewayUrl}/orders`, {
                method: "POST",
                headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
                body: JSON.stringify({ user_id: id, items: [{ product_id: "456", quantity: 2 }] }),
              })
            : await fetch(`${system.gatewayUrl}/users`, {
                method: "POST",
                headers: { "content-type": "application/json", authorization: `Bearer ${process.env.BENCH_TOKEN}` },
                body: JSON.stringify({ name: "Statement Counter", email: `sc-${i}-${Date.now()}@bench.example.com` }),
              });
        if (res.status !== 201) throw new Error(`${scenario}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        const events = await probe.measure(mark, await probe.mark(), 30_000);
        if (events.lost > 0) throw new Error(`${events.lost} events of request ${i} were never notified`);
        await probe.settled(30_000);
      }
      const busyMs = performance.now() - started;
      // The order service learns of a new user from UserCreated: wait for that too (no probe shows it).
      await Bun.sleep(200);
      const busy = await snapshot();
      await reset();
      await Bun.sleep(busyMs + 200);
      const idle = await snapshot();
      const system_: Counts = {};
      for (const db of ["user", "order", "notification"] as DbName[]) {
        for (const [q, calls] of Object.entries(busy[db])) {
          const perRequest = Math.round((calls - (idle[db][q] ?? 0)) / n);
          if (perRequest <= 0) continue;
          system_[db] ??= {};
          system_[db][q] = perRequest;
        }
      }
      await system.stop();

      const scripts: Counts = {};
      const vars = pgbenchVars(system.stream.prefix, people[0]!.id);
      for (const { db, script } of allSqlScripts(scenario)) {
        await reset();
        await pgbenchOnce(system.databases[db].url, script, vars);
        const counts = (await snapshot())[db];
        if (Object.keys(counts).length > 0) scripts[db] = counts;
      }
      return { scenario, requests: n, system: system_, scripts };
    } finally {
      await probe.close();
    }
  } finally {
    await system.cleanup();
    await admin.end();
  }
}

/** The -D variables of the *-all-*.sql scripts: a customer, the run's subjects, an envelope-sized payload. */
export function pgbenchVars(prefix: string, userId: string): Record<string, string> {
  const headers = { "x-request-id": "0195c1d4-0000-7000-8000-000000000001", traceparent: "", "event-type": "order.created" };
  return {
    uid: userId,
    order_subject: `${prefix}.order.created`,
    user_subject: `${prefix}.user.created`,
    email_subject: `${prefix}.user.account_email_requested`,
    // About the size of a real OrderCreated envelope (protobuf), as hex for bytea.
    payload: `\\x${"ab".repeat(220)}`,
    headers: JSON.stringify(headers),
  };
}

async function pgbenchOnce(url: string, script: string, vars: Record<string, string>): Promise<void> {
  const u = new URL(url);
  const cmd = ["pgbench", "-n", "-M", "prepared", "-c1", "-t1", "-h", u.hostname, "-p", u.port, "-U", "postgres", "-f", `bench/sql/${script}`];
  for (const [k, v] of Object.entries(vars)) cmd.push("-D", `${k}=${v}`);
  cmd.push(decodeURIComponent(u.pathname.slice(1)));
  const proc = Bun.spawn(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0 || /failed: [1-9]/.test(out)) throw new Error(`pgbench ${script} exited with ${code}:\n${out}\n${err}`);
}

// The deployment's PostgreSQL roles (deploy/postgres/service-databases.sh, which the compose
// file's init runs per service): each service's role migrates and uses its own database, and cannot
// connect to another's, create databases, or act as a superuser.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { createLogger, openDatabase, pgCode } from "@evented/core";
import { PG_URL, ROOT, uniqueName } from "@evented/testing";
import postgres from "postgres";

setDefaultTimeout(30_000);

const admin = new URL(PG_URL);
const services = ["orders", "users"].map((s) => ({ role: uniqueName(`t_${s}_role`), database: uniqueName(`t_${s}`), password: `p${crypto.randomUUID()}` }));
const [orders, users] = services as [(typeof services)[0], (typeof services)[0]];
const urlFor = (s: { role: string; password: string }, database: string) => {
  const url = new URL(PG_URL);
  url.username = s.role;
  url.password = s.password;
  url.pathname = `/${database}`;
  return url.toString();
};

async function run(s: (typeof services)[0]) {
  const proc = Bun.spawn(["bash", join(ROOT, "deploy/postgres/service-databases.sh")], {
    env: {
      ...process.env,
      SERVICE_ROLE: s.role,
      SERVICE_DATABASE: s.database,
      PGHOST: admin.hostname,
      PGPORT: admin.port || "5432",
      PGUSER: decodeURIComponent(admin.username || "postgres"),
      DB_PASSWORD: s.password,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  expect({ code, err }).toEqual({ code: 0, err: "" });
}

beforeAll(async () => {
  for (const s of services) await run(s);
  await run(orders); // twice, as a re-run of the init would: nothing breaks
});

afterAll(async () => {
  const sql = postgres(PG_URL, { max: 1, onnotice: () => {} });
  for (const s of services) {
    await sql.unsafe(`drop database if exists "${s.database}" with (force)`);
    await sql.unsafe(`drop role if exists "${s.role}"`);
  }
  await sql.end();
});

async function attempt(url: string, query: string): Promise<unknown> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    return await sql.unsafe(query);
  } catch (err) {
    return err;
  } finally {
    await sql.end();
  }
}

test("a service's role migrates and uses its own database", async () => {
  const log = createLogger("test", { level: "silent" });
  const migrationsFolder = join(ROOT, "drizzle/order");
  const database = await openDatabase(urlFor(orders, orders.database), {}, { log, migrationsFolder, poolSize: 1 });
  try {
    const [row] = await database.client`select count(*)::int as n from orders`;
    expect(row?.n).toBe(0);
  } finally {
    await database.close();
  }
});

test("it cannot connect to another service's database, in either direction", async () => {
  expect(pgCode(await attempt(urlFor(orders, users.database), "select 1"))).toBe("42501");
  expect(pgCode(await attempt(urlFor(users, orders.database), "select 1"))).toBe("42501");
});

test("it is no superuser, and can neither create databases nor roles", async () => {
  const own = urlFor(users, users.database);
  const [me] = (await attempt(own, "select rolsuper, rolcreatedb, rolcreaterole from pg_roles where rolname = current_user")) as Record<string, boolean>[];
  expect(me).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false });
  expect(pgCode(await attempt(own, `create database "${uniqueName("t_nope")}"`))).toBe("42501");
  expect(pgCode(await attempt(own, `create role "${uniqueName("t_nope")}"`))).toBe("42501");
});

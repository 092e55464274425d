import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { afterCommit, beforeCommit, inOrder, openDatabase, prepared, STATEMENT_TIMEOUT_MS } from "@evented/core/db";
import { pgCode, status, toServiceError } from "@evented/core/errors";
import { createLogger } from "@evented/core/logger";
import { createDatabase, PG_URL, uniqueName } from "@evented/testing";
import { sql } from "drizzle-orm";
import postgres from "postgres";

setDefaultTimeout(30_000);

const log = createLogger("test", { level: "silent" });
const migrationsFolder = new URL("../../../drizzle/user", import.meta.url).pathname;
/** Each migration of the folder recorded once. */
const applied = `migrations:${(await Bun.file(`${migrationsFolder}/meta/_journal.json`).json()).entries.length}`;
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup) await step();
});

async function tables(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const rows = await sql`select tablename from pg_tables where schemaname = 'public' order by tablename`;
  const applied = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
  await sql.end();
  return [...rows.map((r) => r.tablename as string), `migrations:${applied[0]!.n}`];
}

/** A database of its own, opened as a service opens it (migrated), closed and dropped after the tests. */
async function freshDatabase(name: string, options: { poolSize: number; statementTimeoutMs?: number }) {
  const target = await createDatabase(name);
  cleanup.push(target.drop);
  const database = await openDatabase(target.url, {}, { log, migrationsFolder, ...options });
  cleanup.unshift(database.close);
  return { ...database, url: target.url };
}

test("two replicas starting at once on a fresh database apply the migrations once", async () => {
  const db = await createDatabase("migrate");
  cleanup.push(db.drop);
  const replicas = await Promise.all([1, 2, 3].map(() => openDatabase(db.url, {}, { log, migrationsFolder, poolSize: 1 })));
  await Promise.all(replicas.map((r) => r.close()));
  expect(await tables(db.url)).toEqual(["email_tokens", "idempotency_keys", "login_failures", "outbox", "refresh_tokens", "signing_keys", "users", applied]);

  // And again, as after a restart: nothing changes.
  const again = await openDatabase(db.url, {}, { log, migrationsFolder, poolSize: 1 });
  await again.close();
  expect(await tables(db.url)).toEqual(["email_tokens", "idempotency_keys", "login_failures", "outbox", "refresh_tokens", "signing_keys", "users", applied]);
});

test("a service creates its own database on first start, even when replicas race to do it", async () => {
  const name = uniqueName("t_created");
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  cleanup.push(async () => {
    const sql = postgres(PG_URL, { max: 1, onnotice: () => {} });
    await sql.unsafe(`drop database if exists "${name}" with (force)`);
    await sql.end();
  });
  const replicas = await Promise.all([1, 2].map(() => openDatabase(url.toString(), {}, { log, migrationsFolder, poolSize: 1 })));
  await Promise.all(replicas.map((r) => r.close()));
  expect(await tables(url.toString())).toEqual([
    "email_tokens",
    "idempotency_keys",
    "login_failures",
    "outbox",
    "refresh_tokens",
    "signing_keys",
    "users",
    applied,
  ]);
});

test("statements issued together in a transaction run in the order they were issued", async () => {
  const database = await freshDatabase("pipeline", { poolSize: 2 });
  const counted = await database.db.transaction(async (tx) => {
    await tx.execute(sql`create temp table seen (v int) on commit drop`);
    // A raw statement and a query builder take different paths through Drizzle; issued together,
    // the insert must still run before the count (the order service relies on it: lock, then check).
    const [, [row]] = await Promise.all([tx.execute(sql`insert into seen values (1)`), tx.select({ n: sql<number>`count(*)::int` }).from(sql`seen`)]);
    return row?.n;
  });
  expect(counted).toBe(1);
});

test("prepared: a statement is built once, and runs on the database or transaction it is given", async () => {
  const database = await freshDatabase("prepared", { poolSize: 2 });
  await database.db.execute(sql`create table seen (v int)`);
  let builds = 0;
  const count = (db: typeof database.db) =>
    prepared(db, "count_seen", (d) => {
      builds++;
      return d
        .select({ n: sql<number>`count(*)::int` })
        .from(sql`seen`)
        .where(sql`v >= ${sql.placeholder("least")}`);
    }).execute({ least: 1 });
  const inside = await database.db.transaction(async (tx) => {
    await tx.execute(sql`insert into seen values (1), (2)`);
    const first = await count(tx);
    const outside = await count(database.db); // another connection: the rows are not committed yet
    const again = await count(tx);
    return { first: first[0]?.n, outside: outside[0]?.n, again: again[0]?.n };
  });
  expect(inside).toEqual({ first: 2, outside: 0, again: 2 });
  await database.db.transaction((tx) => count(tx));
  await count(database.db);
  expect(builds).toBe(1);
});

test("inOrder: in a transaction the statements are issued together, on a database one after the other; both run in order", async () => {
  const database = await freshDatabase("inorder", { poolSize: 2 });
  await database.db.execute(sql`create table seen (v int)`);
  const run = async (db: typeof database.db) => {
    const events: string[] = [];
    const [, rows] = await inOrder(
      db,
      async () => {
        events.push("insert issued");
        await db.execute(sql`insert into seen select 1 from pg_sleep(0.05)`);
        events.push("insert done");
      },
      async () => {
        events.push("count issued");
        return db.select({ n: sql<number>`count(*)::int` }).from(sql`seen`);
      },
    );
    return { events, n: rows[0]?.n };
  };
  expect(await database.db.transaction((tx) => run(tx))).toEqual({ events: ["insert issued", "count issued", "insert done"], n: 1 });
  expect(await run(database.db)).toEqual({ events: ["insert issued", "insert done", "count issued"], n: 2 });
});

test("inOrder: a query given first runs first, even when a prepared statement follows it", async () => {
  const database = await freshDatabase("inorder_mixed", { poolSize: 1 });
  const timeout = await database.db.transaction(async (tx) => {
    const [, [row]] = await inOrder(
      tx,
      () => tx.execute(sql`set local statement_timeout = '1234ms'`),
      () => prepared(tx, "inorder_show_timeout", (d) => d.select({ v: sql<string>`current_setting('statement_timeout')` }).from(sql`(select 1) x`)).execute(),
    );
    return row?.v;
  });
  expect(timeout).toBe("1234ms");
});

test("beforeCommit runs inside the transaction after its work, once per hook, and a hook that throws rolls it back; afterCommit after COMMIT", async () => {
  const database = await freshDatabase("hooks", { poolSize: 1 });
  await database.db.execute(sql`create table seen (v text)`);
  const order: string[] = [];
  const last = async () => {
    order.push("before");
    // inside the transaction: it sees the work's row, and its own write commits with it
    const [row] = await tx0!.execute<{ n: number }>(sql`select count(*)::int as n from seen`);
    order.push(`saw ${row?.n}`);
    await tx0!.execute(sql`insert into seen values ('hook')`);
  };
  let tx0: Parameters<Parameters<typeof database.db.transaction>[0]>[0] | undefined;
  await database.db.transaction(async (tx) => {
    tx0 = tx;
    await beforeCommit(tx, last);
    await beforeCommit(tx, last); // the same hook twice runs once
    afterCommit(tx, () => order.push("after"));
    await tx.execute(sql`insert into seen values ('work')`);
    order.push("work");
  });
  expect(order).toEqual(["work", "before", "saw 1", "after"]);
  const rows = async () => (await database.db.execute<{ v: string }>(sql`select v from seen order by v`)).map((r) => r.v);
  expect(await rows()).toEqual(["hook", "work"]);

  const failing = database.db.transaction(async (tx) => {
    await tx.execute(sql`insert into seen values ('rolled back')`);
    await beforeCommit(tx, async () => {
      throw new Error("the hook failed");
    });
    afterCommit(tx, () => order.push("after a rollback"));
  });
  await expect(failing).rejects.toThrow("the hook failed");
  expect(await rows()).toEqual(["hook", "work"]);
  expect(order).not.toContain("after a rollback");
});

test("every connection has a statement timeout: a statement past it is cancelled, and a service answers DEADLINE_EXCEEDED", async () => {
  const database = await freshDatabase("timeout", { poolSize: 1, statementTimeoutMs: 200 });
  const [row] = await database.db.execute<{ statement_timeout: string }>(sql`select current_setting('statement_timeout') as statement_timeout`);
  expect(row?.statement_timeout).toBe("200ms");
  const err = await database.db.execute(sql`select pg_sleep(5)`).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(pgCode(err)).toBe("57014");
  expect(toServiceError(err, log)).toMatchObject({ code: status.DEADLINE_EXCEEDED, details: "the database did not answer in time; retry later" });
  // The default, for every service that does not choose.
  const plain = await openDatabase(database.url, {}, { log, migrationsFolder, poolSize: 1 });
  cleanup.unshift(plain.close);
  const [dflt] = await plain.db.execute<{ statement_timeout: string }>(sql`select current_setting('statement_timeout') as statement_timeout`);
  expect(dflt?.statement_timeout).toBe(`${STATEMENT_TIMEOUT_MS / 1000}s`);
});

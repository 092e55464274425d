import { type SQL, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { redactUrl } from "./config.ts";
import type { Logger } from "./logger.ts";
import { waitUntilReady } from "./startup-wait.ts";

/** A database or a transaction: what repositories and the outbox write through. */
// biome-ignore lint: drizzle's own generic parameters
export type Executor = PgDatabase<PgQueryResultHKT, any, any>;

export interface Database<S extends Record<string, unknown>> {
  db: PostgresJsDatabase<S>;
  /** The raw driver, for health checks. */
  client: postgres.Sql;
  close(): Promise<void>;
}

export interface OpenOptions {
  log: Logger;
  /** Folder of drizzle-kit migrations, applied before the service takes traffic. */
  migrationsFolder: string;
  poolSize?: number;
  /** The longest a statement may run before PostgreSQL cancels it (statement_timeout; 0 = none). */
  statementTimeoutMs?: number;
  /** The setting `url` came from, named when the database cannot be reached (default `<SERVICE>_DB_CONN`). */
  variable?: string;
}

/** No request waits longer than this for one statement; a batch job sets its own. */
export const STATEMENT_TIMEOUT_MS = 15_000;

export async function openDatabase<S extends Record<string, unknown>>(
  url: string,
  schema: S,
  { log, migrationsFolder, poolSize = 10, statementTimeoutMs = STATEMENT_TIMEOUT_MS, variable }: OpenOptions,
): Promise<Database<S>> {
  // A server still starting is waited for; one that refuses us, or is still not there when the wait
  // ends, stops the service with one line naming the setting.
  await waitUntilReady("PostgreSQL", () => ping(url), isStarting, { log }).catch((err) => exitUnreachable(url, log, variable, err));
  await createDatabaseIfMissing(url, log);
  await migrateLocked(url, migrationsFolder, log, variable);
  const client = postgres(url, {
    max: poolSize,
    // Fail fast when the server is gone: callers get UNAVAILABLE instead of a hang.
    connect_timeout: 3,
    // Wait at most 1 s before reconnecting. postgres.js's default grows to 10-20 s after a few
    // failed connects (shared by the pool), so during an outage requests waited past the gateway's
    // deadline (504, not 503) and the service came back up to 20 s after the database did.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    idle_timeout: 30,
    onnotice: () => {},
    connection: { statement_timeout: statementTimeoutMs },
  });
  // Every connection of the pool opened now, not by the first requests after a start (each costs
  // a TCP connect, authentication and the session's settings).
  await Promise.all(Array.from({ length: poolSize }, () => client`select 1`));
  const db = withCommitHooks(drizzle(tuned(client, poolSize), { schema }));
  return { db, client, close: () => client.end({ timeout: 5 }) };
}

/** The statements prepared so far, by name (see prepared). */
const preparedStatements = new Map<string, { client: unknown }>();

/**
 * The statement `build` makes (a query builder; prepared here under `name`), built once in this process and run on `db`, a database or a
 * transaction: Drizzle otherwise turns a query builder into SQL text again on every call, which
 * was a quarter of the order service's and the notification worker's CPU. Values go in as
 * `sql.placeholder(name)`, given to the statement's `execute({ name: value })`; `name` names one
 * statement text in the whole process (say what varies in it: `insert_items_3`).
 *
 * Drizzle ties a prepared statement to the database or transaction it was built on
 * (drizzle-orm#2826, open), so each call gets a copy of the one built, aimed at `db`'s connection
 * (the driver client of its session): the text, parameters and result mapping are the same.
 */
export function prepared<Q extends { execute: (...args: never[]) => unknown }>(
  db: Executor,
  name: string,
  build: (db: Executor) => { prepare(name: string): Q },
): Q {
  let statement = preparedStatements.get(name) as (Q & { client: unknown }) | undefined;
  if (!statement) {
    statement = build(db).prepare(name) as Q & { client: unknown };
    if (!("client" in statement)) throw new Error(`prepared(${name}): not a Drizzle postgres-js prepared query`);
    preparedStatements.set(name, statement);
  }
  return Object.create(statement, { client: { value: driverOf(db) } }) as Q;
}

/**
 * prepared() for a statement written as raw `sql` (values as `sql.placeholder(name)`), which has no
 * `.prepare()`: built once, where `db.execute(sql…)` turned the template into text again on every
 * call (20-40 µs each, several per order and per worker batch). It runs when execute() is called.
 */
export function preparedSql<R = Record<string, unknown>>(
  db: Executor,
  name: string,
  text: () => SQL,
): { execute(values?: Record<string, unknown>): Promise<R[]> } {
  return prepared(db, name, (d) => ({
    prepare: (n: string) => {
      const { session, dialect } = d as unknown as {
        session: { prepareQuery(q: unknown, fields: undefined, name: string, arrayMode: boolean): { execute(v?: Record<string, unknown>): Promise<R[]> } };
        dialect: { sqlToQuery(s: SQL): unknown };
      };
      return session.prepareQuery(dialect.sqlToQuery(text()), undefined, n, false);
    },
  }));
}

/** The postgres.js client a Drizzle database or transaction runs its statements on. */
function driverOf(db: Executor): unknown {
  const client = (db as unknown as { session?: { client?: unknown } }).session?.client;
  if (!client) throw new Error("prepared: this Drizzle version keeps its driver client elsewhere (session.client)");
  return client;
}

/**
 * For a prepared multi-row insert (see prepared): `rows` as rows of placeholders, `${column}${row}`,
 * built once; valuesOf(rows) fills them on each call. Every row must have the same columns, and the
 * statement's name must say how many rows it has.
 */
export const placeholdersFor = <R extends Record<string, unknown>>(rows: R[]): R[] =>
  rows.map((row, i) => Object.fromEntries(Object.keys(row).map((column) => [column, sql.placeholder(`${column}${i}`)])) as R);

export const valuesOf = (rows: Record<string, unknown>[]): Record<string, unknown> =>
  Object.fromEntries(rows.flatMap((row, i) => Object.entries(row).map(([column, value]) => [`${column}${i}`, value])));

/**
 * Runs statements in the order given. In a transaction they are issued together and share one
 * round trip (pipelined on its connection, run in this order); on a database, whose statements may
 * take different connections, each waits for the one before. Each function must issue its
 * statement when called: return the Drizzle query (or prepared execute) itself, rather than await
 * it inside an async function, which issues it a tick later, after the statements behind it.
 */
export async function inOrder<T extends readonly unknown[]>(db: Executor, ...statements: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  // A Drizzle query starts when its then() is called. Promise.all calls it a tick later, by when a
  // prepared statement given after it has already gone out: so then() is called here, in order.
  if (commitHooks.has(db)) return (await Promise.all(statements.map((run) => new Promise((ok, fail) => run().then(ok, fail))))) as unknown as T;
  const results: unknown[] = [];
  for (const run of statements) results.push(await run());
  return results as unknown as T;
}

/** What each open transaction runs once it has committed (see afterCommit). */
const commitHooks = new WeakMap<object, Set<() => void>>();

/**
 * Runs `fn` once the transaction `tx` has committed, and never if it rolls back: how the outbox
 * wakes its relay, so no caller has to. The same `fn` registered twice runs once. On a database
 * rather than a transaction (its statements commit as they run), `fn` runs at once. `fn` must not
 * throw. Works for transactions opened on a database from openDatabase; a savepoint's hooks wait
 * for the outer transaction.
 */
export function afterCommit(tx: Executor, fn: () => void): void {
  const hooks = commitHooks.get(tx);
  if (hooks) hooks.add(fn);
  else fn();
}

/** What each open transaction runs once its work is done, just before COMMIT (see beforeCommit). */
const precommitHooks = new WeakMap<object, Set<() => Promise<unknown>>>();

/**
 * Runs `fn` once the work of the transaction `tx` is done, inside it, just before COMMIT: for
 * what must hold a lock until the commit and so should take it last (the notification feed's
 * order). The same `fn` registered twice runs once; if it throws, the transaction rolls back. On a
 * database rather than a transaction, `fn` runs at once. A savepoint's hooks wait for the outer
 * transaction.
 */
export async function beforeCommit(tx: Executor, fn: () => Promise<unknown>): Promise<void> {
  const hooks = precommitHooks.get(tx);
  if (hooks) hooks.add(fn);
  else await fn();
}

interface Hooks {
  before: Set<() => Promise<unknown>>;
  after: Set<() => void>;
}

/** `db` whose transactions (and savepoints inside them) record beforeCommit and afterCommit hooks and run them around COMMIT. */
function withCommitHooks<D extends object>(db: D, outer?: Hooks): D {
  return new Proxy(db, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== "transaction" || typeof value !== "function") return value;
      return async (work: (tx: object) => unknown, ...rest: unknown[]) => {
        const hooks = outer ?? { before: new Set(), after: new Set() };
        const result = await value.call(
          target,
          async (tx: object) => {
            const tracked = withCommitHooks(tx, hooks);
            commitHooks.set(tracked, hooks.after);
            precommitHooks.set(tracked, hooks.before);
            const done = await work(tracked);
            // A hook may register another (it runs too); each runs once.
            if (!outer) for (const fn of hooks.before) await fn();
            return done;
          },
          ...rest,
        );
        if (!outer) for (const fn of hooks.after) fn();
        return result;
      };
    },
  });
}

/**
 * The client Drizzle gets. Two things differ from the raw driver:
 * - Drizzle passes every query with `prepare: false` unless it was built with `.prepare(name)`,
 *   and an unprepared query costs two round trips (Parse/Describe, then Bind/Execute). Our queries
 *   come in a small, fixed set of shapes, so each is prepared once per connection.
 * - postgres.js slows down as more queries wait than it has connections; so at most `poolSize`
 *   statements or transactions are handed to it at once, the rest wait here in order.
 */
function tuned(sql: postgres.Sql, poolSize: number): postgres.Sql {
  const gate = new Gate(poolSize);
  return withPrepare(sql, (work) => gate.run(work));
}

type Admit = <T>(work: () => Promise<T>) => Promise<T>;

/** `admit` gates statements outside transactions; inside one (`admit` undefined) each statement starts at once. */
function withPrepare(sql: postgres.Sql, admit?: Admit): postgres.Sql {
  return new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === "unsafe") {
        return (query: string, params?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) => {
          const run = () => target.unsafe(query, params, { ...options, prepare: true });
          // In a transaction, a statement goes out the moment Drizzle issues it, not when it is
          // awaited: statements issued together (Promise.all) are pipelined on the connection, one
          // round trip for all, in the order they were issued (PostgreSQL runs them in that order).
          if (!admit) return run().execute();
          // Drizzle only awaits the query or its .values(); the query starts once admitted.
          return {
            values: () => admit(async () => await run().values()),
            // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, what Drizzle awaits
            then: <T>(ok: (rows: postgres.RowList<postgres.Row[]>) => T, fail?: (err: unknown) => T) => admit(async () => await run()).then(ok, fail),
          };
        };
      }
      if (prop === "begin" || prop === "savepoint") {
        return (...args: unknown[]) => {
          const work = args.pop() as (tx: postgres.Sql) => unknown;
          const open = Reflect.get(target, prop) as (...a: unknown[]) => Promise<unknown>;
          // Inside a transaction its statements run on its connection: no second admission.
          const start = () => open.apply(target, [...args, (tx: postgres.Sql) => work(withPrepare(tx))]);
          return admit ? admit(start) : start();
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

/** At most `limit` tasks at once; the rest start in arrival order. */
class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** One round trip to the server; a database that does not exist yet counts as an answer (created next). */
async function ping(url: string): Promise<void> {
  const client = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await client`select 1`;
  } catch (err) {
    if ((err as { code?: string }).code !== "3D000") throw err;
  } finally {
    await client.end({ timeout: 1 });
  }
}

/** A server not up yet (refused, name not resolvable yet, starting up, shutting down in a restart). */
function isStarting(err: unknown): boolean {
  const code = String((err as { code?: string }).code);
  return ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "CONNECT_TIMEOUT", "57P03", "57P01"].includes(code);
}

/** Runs migrations under an advisory lock, so replicas starting together apply them once. */
async function migrateLocked(url: string, migrationsFolder: string, log: Logger, variable?: string): Promise<void> {
  const client = postgres(url, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    // The service's first query: if it fails, the database is unreachable or refuses us.
    await client`select pg_advisory_lock(hashtext('evented:migrations'))`.catch((err) => exitUnreachable(url, log, variable, err));
    await migrate(drizzle(client), { migrationsFolder });
    log.debug({ migrationsFolder }, "migrations applied");
  } finally {
    await client.end({ timeout: 5 }); // ending the session releases the lock
  }
}

/**
 * One line on stderr and exit 1 (like loadConfig's for invalid settings), instead of a stack trace:
 * `user: cannot connect to the database USER_DB_CONN=postgres://app:***@db:5432/users: connection refused`.
 */
function exitUnreachable(url: string, log: Logger, variable: string | undefined, err: unknown): never {
  const service = String(log.bindings().service ?? "service");
  const setting = variable ?? `${service.toUpperCase()}_DB_CONN`;
  console.error(`${service}: cannot connect to the database ${setting}=${redactUrl(url)}: ${reason(err)}`);
  process.exit(1);
}

function reason(err: unknown): string {
  const { code, message } = err as { code?: string; message?: string };
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host not found";
  if (code === "CONNECT_TIMEOUT") return "no answer within 10 s";
  return String(message ?? err).split("\n")[0]!;
}

/** Creates the service's own database on first start, when the role may; harmless otherwise. */
async function createDatabaseIfMissing(url: string, log: Logger): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) return;
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = postgres(admin.toString(), { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    const found = await client`select 1 from pg_database where datname = ${name}`;
    if (found.length === 0) {
      await client.unsafe(`create database "${name.replaceAll('"', '""')}"`);
      log.info({ database: name }, "database created");
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    // 42P04: created by a replica in the meantime. Anything else: let the real connection say what is wrong.
    if (code !== "42P04") log.debug({ err, url: redactUrl(url) }, "could not check or create the database");
  } finally {
    await client.end({ timeout: 5 });
  }
}

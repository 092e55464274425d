// The database driver as patched here (patches/postgres@3.4.9.patch), against the real server: a
// transaction's BEGIN goes out with its first statement, a BEGIN always reserves its connection, and
// statements queued in a transaction go out together once its pipeline empties.
import { afterAll, expect, test } from "bun:test";
import { once } from "node:events";
import { connect } from "node:net";
import { createDatabase } from "@evented/testing";
import postgres from "postgres";

const target = await createDatabase("driver");
/** Another session: what it sees is what has committed. */
const observer = postgres(target.url, { max: 1, onnotice: () => {} });
afterAll(async () => {
  await observer.end();
  await target.drop();
});
const { hostname, port } = new URL(target.url);
const committedRows = async (table: string): Promise<number> => (await observer`select count(*)::int as n from ${observer(table)}`)[0]!.n;

/** A client on one connection whose writes to the server are counted (each is one round trip's request). */
// `socket` (a connected socket of one's own) and `max_pipeline` are driver options its types leave out.
function countingClient(options: { max?: number; max_pipeline?: number } = {}) {
  const writes: string[] = [];
  const sql = postgres(target.url, {
    max: 1,
    onnotice: () => {},
    ...options,
    socket: async () => {
      const socket = connect(Number(port), hostname);
      await once(socket, "connect");
      const write = socket.write.bind(socket);
      socket.write = ((chunk: Buffer, ...rest: never[]) => {
        writes.push(chunk.toString("latin1"));
        return write(chunk, ...rest);
      }) as typeof socket.write;
      return socket;
    },
  } as postgres.Options<Record<string, postgres.PostgresType>>);
  return { sql, writes };
}

test("a transaction's BEGIN is sent together with its first statement: one round trip fewer", async () => {
  const { sql, writes } = countingClient();
  try {
    await sql`select 1`; // connected, and the startup's own writes done
    writes.length = 0;
    await sql.begin(async (tx) => {
      await tx`select 1 as first`;
    });
    expect(writes.length).toBe(2); // BEGIN + the statement, then COMMIT
    expect(writes[0]).toContain("begin");
    expect(writes[0]).toContain("select 1 as first");
    expect(writes[1]).toContain("commit");
  } finally {
    await sql.end();
  }
});

test("statements behind an unanswered BEGIN are inside the transaction: others do not see them, a rollback undoes them", async () => {
  const { sql } = countingClient({ max: 2 });
  try {
    await sql`create table if not exists pipelined (v int)`;
    await sql.begin(async (tx) => {
      await tx`insert into pipelined values (1)`;
      expect(await committedRows("pipelined")).toBe(0);
    });
    expect(await committedRows("pipelined")).toBe(1);
    const failed = await sql
      .begin(async (tx) => {
        await tx`insert into pipelined values (2)`;
        throw new Error("changed my mind");
      })
      .catch((err: Error) => err.message);
    expect(failed).toBe("changed my mind");
    expect((await observer`select array_agg(v order by v) as vs from pipelined`)[0]!.vs).toEqual([1]);
  } finally {
    await sql.end();
  }
});

test("a BEGIN reserves its connection even when it fills the connection's pipeline (porsager/postgres#1189, #1210)", async () => {
  // Unpatched, max_pipeline 0 made every sql.begin() fail with UNSAFE_TRANSACTION.
  const { sql } = countingClient({ max_pipeline: 0 });
  try {
    await sql`create table if not exists after_begin (v int)`;
    const rows = await sql.begin((tx) => tx`select 1 as ok`);
    expect(rows[0]!.ok).toBe(1);
    // The connection is back in the pool outside any transaction: what it writes next commits at once.
    await sql`insert into after_begin values (1)`;
    expect(await committedRows("after_begin")).toBe(1);
  } finally {
    await sql.end();
  }
});

test("in a transaction, the statements that queued behind a full pipeline go out together once it empties, not one per round trip", async () => {
  const { sql, writes } = countingClient({ max_pipeline: 4 });
  try {
    await sql`select 1`;
    writes.length = 0;
    const values = await sql.begin((tx) => Promise.all(Array.from({ length: 12 }, (_, i) => tx`select ${i}::int as v`.then(([row]) => row!.v))));
    expect(values).toEqual(Array.from({ length: 12 }, (_, i) => i));
    // The statement's first use is described first, so the 11 behind it wait. Once it is answered
    // they go out as far as the pipeline takes them: BEGIN with the description, the first, then
    // 5, 5 and 1, then COMMIT. Unpatched, each waited for the one before: 14 writes.
    expect(writes.length).toBe(6);
  } finally {
    await sql.end();
  }
});

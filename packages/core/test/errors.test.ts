// What a gRPC handler answers for errors that are nobody's bug, made for real: a deadlock in the
// shared PostgreSQL, a call to a user service that is not there, NATS requests nobody answers.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { authenticate, connectVerifier } from "@evented/core/auth";
import { status, toServiceError } from "@evented/core/errors";
import { createLogger } from "@evented/core/logger";
import { createDatabase, forgeAccessToken, freePort, NATS_URL, uniqueName } from "@evented/testing";
import { connect } from "nats";
import postgres from "postgres";

const log = createLogger("test", { level: "silent" });
let db: Awaited<ReturnType<typeof createDatabase>>;
beforeAll(async () => {
  db = await createDatabase("errors");
});
afterAll(() => db?.drop());

test("a transaction PostgreSQL aborts as a deadlock's victim answers ABORTED (409, retry), not INTERNAL", async () => {
  const [a, b] = [postgres(db.url, { max: 1, onnotice: () => {} }), postgres(db.url, { max: 1, onnotice: () => {} })];
  try {
    await a`create table rows (id int primary key, n int)`;
    await a`insert into rows values (1, 0), (2, 0)`;
    // Each locks one row, then waits for the other's: PostgreSQL aborts one of the two.
    let locked = 0;
    const both = Promise.withResolvers<void>();
    const cross = (sql: postgres.Sql, first: number, second: number) =>
      sql.begin(async (tx) => {
        await tx`update rows set n = n + 1 where id = ${first}`;
        if (++locked === 2) both.resolve();
        await both.promise;
        await tx`update rows set n = n + 1 where id = ${second}`;
      });
    const outcomes = await Promise.allSettled([cross(a, 1, 2), cross(b, 2, 1)]);
    const failed = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason] : []));
    expect(failed).toHaveLength(1);
    expect(toServiceError(failed[0], log)).toMatchObject({ code: status.ABORTED });
  } finally {
    await Promise.all([a.end(), b.end()]);
  }
});

test("a token that cannot be checked because the user service is down answers UNAVAILABLE (503), not INTERNAL", async () => {
  const { privateKey } = (await crypto.subtle.generateKey("Ed25519", false, ["sign", "verify"])) as CryptoKeyPair; // a key pair, for Ed25519
  const token = await forgeAccessToken(privateKey, { sub: "u", role: "customer" }, { kid: "k" });
  // Nothing listens there: the key set cannot be fetched.
  const { verifier, close } = connectVerifier({ issuer: "urn:evented:user", audience: "urn:evented:api", jwks: undefined }, `127.0.0.1:${freePort()}`);
  try {
    const err = await authenticate({ verifier }, "getUser", { authorization: `Bearer ${token}` }).then(
      () => new Error("verified without a key set"),
      (e: unknown) => e,
    );
    expect(toServiceError(err, log)).toMatchObject({ code: status.UNAVAILABLE });
  } finally {
    close();
  }
});

test("a NATS request that no one answers (JetStream down or leaderless) or that times out answers UNAVAILABLE (503), not INTERNAL", async () => {
  const nc = await connect({ servers: NATS_URL });
  try {
    const subject = uniqueName("t_errors");
    const noResponders = await nc.request(subject, "", { timeout: 1000 }).catch((e: unknown) => e);
    expect(toServiceError(noResponders, log)).toMatchObject({ code: status.UNAVAILABLE });
    const silent = nc.subscribe(subject); // takes the request, never answers
    const timedOut = await nc.request(subject, "", { timeout: 100 }).catch((e: unknown) => e);
    silent.unsubscribe();
    expect(toServiceError(timedOut, log)).toMatchObject({ code: status.UNAVAILABLE });
  } finally {
    await nc.close();
  }
});

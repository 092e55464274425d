import { eq, lt, sql } from "drizzle-orm";
import { type Executor, prepared } from "./db.ts";
import { AppError, status } from "./errors.ts";
import { idempotencyKeys } from "./tables.ts";

/**
 * An Idempotency-Key as stored: the caller's own (their user id, or what else names them), so one
 * caller's key can neither replay nor block another's request. Empty: none.
 */
export function callerKey(caller: { userId: string } | undefined, key: string): string | undefined {
  return key ? `${caller?.userId ?? "-"}:${key}` : undefined;
}

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

/**
 * Runs `create` once per key, inside the caller's transaction. The key row is inserted first:
 * a concurrent retry blocks on it until the first transaction ends, then reads its response.
 * The same key with a different request is refused (IDEMPOTENCY_KEY_REUSED, HTTP 422).
 */
export async function once<T>(tx: Executor, key: string | undefined, request: unknown, create: () => Promise<T>, revive: (json: unknown) => T): Promise<T> {
  if (!key) return create();
  const requestHash = hashOf(request);
  const claimed = await prepared(tx, "claim_idempotency_key", (d) =>
    d
      .insert(idempotencyKeys)
      .values({ key: sql.placeholder("key"), requestHash: sql.placeholder("requestHash"), response: null })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key }),
  ).execute({ key, requestHash });
  if (claimed.length === 0) {
    const first = await answered(tx, key, requestHash, revive);
    if (first === undefined) throw new AppError(status.ABORTED, "a request with this Idempotency-Key is in progress; retry");
    return first;
  }
  const result = await create();
  await prepared(tx, "answer_idempotency_key", (d) =>
    d
      .update(idempotencyKeys)
      .set({ response: sql.placeholder("response") })
      .where(eq(idempotencyKeys.key, sql.placeholder("key"))),
  ).execute({ key, response: result });
  return result;
}

/**
 * The first response to `key`, if a request with it already committed; for checks a create makes
 * before its transaction (such as asking another service), so a retry skips them and still gets
 * exactly the first response. `once` remains what decides.
 */
export function replay<T>(db: Executor, key: string | undefined, request: unknown, revive: (json: unknown) => T): Promise<T | undefined> {
  return key ? answered(db, key, hashOf(request), revive) : Promise.resolve(undefined);
}

async function answered<T>(db: Executor, key: string, requestHash: string, revive: (json: unknown) => T): Promise<T | undefined> {
  const [first] = await prepared(db, "find_idempotency_key", (d) =>
    d
      .select()
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.key, sql.placeholder("key"))),
  ).execute({ key });
  if (!first) return undefined;
  if (first.requestHash !== requestHash) {
    throw new AppError(status.INVALID_ARGUMENT, "this Idempotency-Key was already used with a different request body", "IDEMPOTENCY_KEY_REUSED");
  }
  return revive(first.response);
}

const hashOf = (request: unknown) => new Bun.CryptoHasher("sha256").update(JSON.stringify(request)).digest("hex");

export async function pruneIdempotencyKeys(db: Executor, ttlMs = IDEMPOTENCY_TTL_MS): Promise<void> {
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, new Date(Date.now() - ttlMs)));
}

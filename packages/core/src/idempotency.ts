import { eq, lt } from "drizzle-orm";
import type { Executor } from "./db.ts";
import { AppError, status } from "./errors.ts";
import { idempotencyKeys } from "./tables.ts";

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

/**
 * Runs `create` once per key, inside the caller's transaction. The key row is inserted first:
 * a concurrent retry blocks on it until the first transaction ends, then reads its response.
 * The same key with a different request is refused (IDEMPOTENCY_KEY_REUSED, HTTP 422).
 */
export async function once<T>(
  tx: Executor,
  key: string | undefined,
  request: unknown,
  create: () => Promise<T>,
  revive: (json: unknown) => T,
): Promise<T> {
  if (!key) return create();
  const requestHash = new Bun.CryptoHasher("sha256").update(JSON.stringify(request)).digest("hex");
  const claimed = await tx
    .insert(idempotencyKeys)
    .values({ key, requestHash, response: null })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  if (claimed.length === 0) {
    const [first] = await tx.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
    if (!first) throw new AppError(status.ABORTED, "a request with this Idempotency-Key is in progress; retry");
    if (first.requestHash !== requestHash) {
      throw new AppError(
        status.INVALID_ARGUMENT,
        "this Idempotency-Key was already used with a different request body",
        "IDEMPOTENCY_KEY_REUSED",
      );
    }
    return revive(first.response);
  }
  const result = await create();
  await tx.update(idempotencyKeys).set({ response: result }).where(eq(idempotencyKeys.key, key));
  return result;
}

export async function pruneIdempotencyKeys(db: Executor, ttlMs = IDEMPOTENCY_TTL_MS): Promise<void> {
  await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, new Date(Date.now() - ttlMs)));
}

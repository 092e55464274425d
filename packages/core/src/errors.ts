import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import type { Logger } from "./logger.ts";

export { status };

/** Metadata key that carries AppError.reason from a service to the gateway. */
export const REASON_KEY = "x-error-reason";

/**
 * The one error type of the system. Services throw it; the gRPC layer turns it into a status
 * (toServiceError) and the gateway turns that status into HTTP (apps/gateway/src/errors.ts).
 * `reason` is an optional machine-readable refinement for clients, e.g. IDEMPOTENCY_KEY_REUSED.
 */
export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly code: status,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** Metadata key of the seconds a client should wait before retrying (HTTP Retry-After). */
export const RETRY_AFTER_KEY = "retry-after";

/** RESOURCE_EXHAUSTED (HTTP 429) with the seconds to wait. */
export class RateLimited extends AppError {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(status.RESOURCE_EXHAUSTED, message);
  }
}

export const invalid = (message: string) => new AppError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new AppError(status.NOT_FOUND, message);
export const alreadyExists = (message: string) => new AppError(status.ALREADY_EXISTS, message);
/** The request conflicts with the resource's current state (an illegal status transition). */
export const conflict = (message: string) => new AppError(status.ABORTED, message);
export const failedPrecondition = (message: string) => new AppError(status.FAILED_PRECONDITION, message);
export const unavailable = (message: string) => new AppError(status.UNAVAILABLE, message);

// postgres.js, nats.js and socket errors that mean "a dependency is not there right now".
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  // nats.js: nothing answers the subject (JetStream down or without a leader), or not in time.
  "503",
  "TIMEOUT",
]);

/**
 * An error's message for a dead letter's reason or an operator: Drizzle wraps driver errors
 * ("Failed query: ..." with the query's parameters, a user's email among them); the cause says
 * what is wrong without them.
 */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return err.message.startsWith("Failed query:") && cause instanceof Error ? cause.message : err.message;
}

export function isUnreachable(err: unknown): boolean {
  for (let e: unknown = err; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && UNREACHABLE.has(code)) return true;
    if (e instanceof AppError) return e.code === status.UNAVAILABLE;
    // A call this service made to another (the user service's key set, say) that found it down.
    if (isCallError(e)) return e.code === status.UNAVAILABLE || e.code === status.DEADLINE_EXCEEDED;
  }
  return false;
}

/** A grpc-js client's error: its status as a number, with details and the trailers. */
const isCallError = (e: object): e is ServiceError => typeof (e as ServiceError).code === "number" && (e as ServiceError).metadata instanceof Metadata;

// Transactions PostgreSQL aborted for another's sake: nothing is wrong with the request, and the
// same request again will most likely succeed.
const CONCURRENCY_ABORTS = new Set(["40001", "40P01"]); // serialization_failure, deadlock_detected

/** What a gRPC handler answers for any error: AppErrors as they are, outages as UNAVAILABLE, the rest as INTERNAL. */
export function toServiceError(err: unknown, log: Logger): Partial<ServiceError> {
  if (err instanceof AppError) {
    const metadata = new Metadata();
    if (err.reason) metadata.set(REASON_KEY, err.reason);
    if (err instanceof RateLimited) metadata.set(RETRY_AFTER_KEY, String(err.retryAfterS));
    return { code: err.code, details: err.message, metadata };
  }
  if (CONCURRENCY_ABORTS.has(pgCode(err) ?? "")) {
    log.warn({ err }, "transaction aborted by a concurrent one");
    return { code: status.ABORTED, details: "a concurrent change got in the way; retry" };
  }
  if (pgCode(err) === "57014") {
    log.warn({ err }, "statement cancelled (statement_timeout)");
    return { code: status.DEADLINE_EXCEEDED, details: "the database did not answer in time; retry later" };
  }
  if (isUnreachable(err)) {
    log.warn({ err }, "dependency unreachable");
    return { code: status.UNAVAILABLE, details: "a dependency of this service is unavailable; retry later" };
  }
  // A bug: the caller gets no internals, the log gets everything.
  log.error({ err }, "unhandled error");
  return { code: status.INTERNAL, details: "internal error" };
}

/** The SQLSTATE of a database error, looking through drizzle's wrapper. */
export function pgCode(err: unknown): string | undefined {
  for (let e: unknown = err; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

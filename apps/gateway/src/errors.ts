import { AppError, isServiceError, REASON_KEY, RETRY_AFTER_KEY, status } from "@evented/core";
import { t } from "elysia";

const SAFE_MESSAGE_UNAVAILABLE = "a service this request needs is unavailable; retry later";
const SAFE_MESSAGE_DEADLINE = "a service this request needs did not answer in time; retry later";

/** The one error body of the API. */
export const ErrorBody = t.Object(
  {
    error: t.Object({
      code: t.String({ description: "Machine-readable: a gRPC status name (NOT_FOUND, ...) or a finer reason (IDEMPOTENCY_KEY_REUSED)." }),
      message: t.String({ description: "What is wrong, for people." }),
      request_id: t.String({ description: "Quote it when asking about this request; it is in every log line it caused." }),
    }),
  },
  { title: "Error" },
);
export type ErrorBody = typeof ErrorBody.static;

/** The error statuses routes declare, what each means here, and an example body for the docs. */
const DOCUMENTED = {
  400: ["The request is invalid; the message names the field and the rule", "INVALID_ARGUMENT", "invalid body: email must be a valid email address"],
  401: [
    "No valid access token: send `Authorization: Bearer <access_token>` (POST /auth/login); an expired one is renewed with POST /auth/refresh",
    "UNAUTHENTICATED",
    "a valid access token is required",
  ],
  403: ["The signed-in user may not do this (an admin may)", "PERMISSION_DENIED", "only an admin may do this"],
  404: ["Nothing has this id", "NOT_FOUND", "user 01976b8e-4a4e-7cc1-9a7b-2b0c1c9b5e10 not found"],
  409: ["Conflicts with the current state: see the operation's description", "ALREADY_EXISTS", "a user with this email already exists"],
  413: ["The request body is larger than GATEWAY_MAX_BODY_BYTES", "PAYLOAD_TOO_LARGE", "the request body must be at most 65536 bytes"],
  415: ["The request body is not application/json", "UNSUPPORTED_MEDIA_TYPE", 'the request body must be application/json, got "text/plain"'],
  422: [
    "This Idempotency-Key was already used with a different request body",
    "IDEMPOTENCY_KEY_REUSED",
    "this Idempotency-Key was already used with a different request body",
  ],
  429: [
    "Too many requests from this client (RATE_LIMITED), or on POST /auth/login too many failed logins (RESOURCE_EXHAUSTED); retry after the seconds in Retry-After",
    "RATE_LIMITED",
    "too many requests from this client; retry in 1 s",
  ],
  500: ["A bug; quote request_id when reporting it", "INTERNAL", "internal error"],
  503: ["A service this request needs is unavailable; retry later", "UNAVAILABLE", SAFE_MESSAGE_UNAVAILABLE],
  504: ["A service this request needs did not answer in time; retry later", "DEADLINE_EXCEEDED", SAFE_MESSAGE_DEADLINE],
} as const;
export type ErrorStatus = keyof typeof DOCUMENTED;

/**
 * `response: { 200: User, ...errorResponses(400, 404) }`: ErrorBody under each status, described
 * and with an example (the docs plugin takes a response's description from its schema).
 */
export function errorResponses<const S extends readonly ErrorStatus[]>(...statuses: S): { [K in S[number]]: typeof ErrorBody } {
  const entries = statuses.map((s) => {
    const [description, code, message] = DOCUMENTED[s];
    const error = t.Object({
      code: t.String({ ...ErrorBody.properties.error.properties.code, examples: [code] }),
      message: t.String({ ...ErrorBody.properties.error.properties.message, examples: [message] }),
      request_id: t.String({ ...ErrorBody.properties.error.properties.request_id, examples: ["01976b8e-4a4f-7000-8000-2b0c1c9b5e10"] }),
    });
    return [s, t.Object({ error }, { description })];
  });
  return Object.fromEntries(entries) as { [K in S[number]]: typeof ErrorBody };
}

/** gRPC status -> HTTP status, after grpc-gateway's table: the one place it is decided. */
const HTTP_OF_GRPC: Partial<Record<status, number>> = {
  [status.INVALID_ARGUMENT]: 400,
  [status.FAILED_PRECONDITION]: 400,
  [status.OUT_OF_RANGE]: 400,
  [status.UNAUTHENTICATED]: 401,
  [status.PERMISSION_DENIED]: 403,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.ABORTED]: 409,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.CANCELLED]: 499,
  [status.UNIMPLEMENTED]: 501,
  [status.UNAVAILABLE]: 503,
  [status.DEADLINE_EXCEEDED]: 504,
};

/** Reasons that refine the status: HTTP has a word for them that gRPC lacks. */
const HTTP_OF_REASON: Record<string, number> = {
  IDEMPOTENCY_KEY_REUSED: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

/** Messages a client gets instead of the transport's own, which may name internal hosts. */
const SAFE_MESSAGE: Partial<Record<status, string>> = {
  [status.UNAVAILABLE]: SAFE_MESSAGE_UNAVAILABLE,
  [status.DEADLINE_EXCEEDED]: SAFE_MESSAGE_DEADLINE,
  [status.INTERNAL]: "internal error",
  [status.UNKNOWN]: "internal error",
  [status.DATA_LOSS]: "internal error",
};

export interface HttpError {
  status: number;
  code: string;
  message: string;
  /** Seconds, for a Retry-After header. */
  retryAfter?: string;
}

/** Maps whatever a handler threw to an HTTP status and the error body fields. */
export function toHttpError(err: unknown): HttpError {
  if (isServiceError(err)) {
    const reason = err.metadata?.get(REASON_KEY)[0]?.toString();
    const code = reason ?? status[err.code] ?? "UNKNOWN";
    const http = (reason && HTTP_OF_REASON[reason]) || HTTP_OF_GRPC[err.code as status] || 500;
    // A service's own UNAVAILABLE (e.g. "user service unreachable") has no reason and is sanitised too: it is infrastructure.
    const retryAfter = err.metadata?.get(RETRY_AFTER_KEY)[0]?.toString();
    return { status: http, code, message: SAFE_MESSAGE[err.code as status] ?? err.details, ...(retryAfter && { retryAfter }) };
  }
  // The gateway's own refusals (e.g. a body that is not an object), before any service is asked.
  if (err instanceof AppError) {
    return {
      status: (err.reason && HTTP_OF_REASON[err.reason]) || HTTP_OF_GRPC[err.code] || 500,
      code: err.reason ?? status[err.code] ?? "UNKNOWN",
      message: err.message,
    };
  }
  return { status: 500, code: "INTERNAL", message: "internal error" };
}

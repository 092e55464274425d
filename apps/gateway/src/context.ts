import { AppError, invalid, type Logger, SpanKind, SpanStatusCode, type StartedSpan, startSpan } from "@evented/core";
import { Elysia, StatusMap, type ValidationError } from "elysia";
import { type ErrorBody, type HttpError, toHttpError } from "./errors.ts";
import { observeRequest } from "./metrics.ts";

const REQUEST_ID = /^[\w.:-]{1,128}$/;

interface Started {
  requestId: string;
  at: number;
  trace: StartedSpan;
}

const started = new WeakMap<Request, Started>();
const idOf = (request: Request) => started.get(request)?.requestId ?? "";

/**
 * The request id comes from `x-request-id` (or is made here), is echoed back, and goes on to
 * every gRPC call as metadata (`meta`), so one grep finds a request's whole story. The request's
 * span continues the caller's W3C `traceparent` and is handed on the same way.
 * Every module uses this plugin; Elysia applies it once, by name.
 */
export const requestMeta = new Elysia({ name: "request-meta" })
  .onRequest(({ request, set }) => {
    const incoming = request.headers.get("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : Bun.randomUUIDv7();
    const trace = startSpan(request.method, SpanKind.SERVER, request.headers.get("traceparent") ?? undefined, { "http.request.method": request.method });
    started.set(request, { requestId, at: performance.now(), trace });
    set.headers["x-request-id"] = requestId;
  })
  .derive({ as: "global" }, ({ request }) => ({
    meta: {
      requestId: idOf(request),
      traceparent: started.get(request)?.trace.traceparent,
      // The caller's token goes on to every service, which verifies it itself.
      authorization: request.headers.get("authorization") ?? undefined,
      // No client address: only the sign-in routes pass one on (modules/auth), for the login limits.
    },
  }));

/**
 * A request body, when there is one, must be a JSON object. Elysia's normaliser turns an array or
 * a string into `{}` before validating, so `[]` would pass a schema whose fields are all optional.
 */
export const objectBodies = new Elysia({ name: "object-bodies" }).onTransform({ as: "global" }, ({ body }) => {
  if (body !== undefined && Object.prototype.toString.call(body) !== "[object Object]") throw invalid("the request body must be a JSON object");
});

/** One log line per request and the one error body, for the whole app. */
export function errorsAndLogs(log: Logger) {
  return new Elysia({ name: "errors-and-logs" })
    .onError({ as: "global" }, ({ code, error, request, set, path }): ErrorBody => {
      let e: HttpError;
      if (code === "VALIDATION") e = { status: 400, code: "INVALID_ARGUMENT", message: describe(error) };
      // A refusal of limits.ts's parser (size, type, depth) comes wrapped as Elysia's ParseError.
      else if (code === "PARSE" && error.cause instanceof AppError) e = toHttpError(error.cause);
      else if (code === "PARSE") e = { status: 400, code: "INVALID_ARGUMENT", message: "the request body is not valid JSON" };
      else if (code === "NOT_FOUND") e = { status: 404, code: "NOT_FOUND", message: `no route for ${request.method} ${path}` };
      else {
        e = toHttpError(error);
        if (e.status === 500) log.error({ err: error, requestId: idOf(request) }, "unhandled error");
        else if (e.status >= 500) log.warn({ err: error, requestId: idOf(request) }, "dependency failed");
      }
      set.status = e.status;
      set.headers["x-request-id"] = idOf(request);
      if (e.status === 401) set.headers["www-authenticate"] = 'Bearer realm="evented"';
      if (e.retryAfter) set.headers["retry-after"] = e.retryAfter;
      return { error: { code: e.code, message: e.message, request_id: idOf(request) } };
    })
    .onAfterResponse({ as: "global" }, ({ request, set, route }) => {
      const s = started.get(request);
      if (!s) return;
      const ms = Math.round((performance.now() - s.at) * 100) / 100;
      const status = typeof set.status === "number" ? set.status : (StatusMap[set.status as keyof typeof StatusMap] ?? 200);
      // Unmatched paths share one label: a scanner must not mint a time series per URL.
      const pattern = route || "unmatched";
      observeRequest(request.method, pattern, status, ms / 1000);
      const { span, traceId } = s.trace;
      span.updateName(`${request.method} ${pattern}`);
      span.setAttributes({ "http.route": pattern, "http.response.status_code": status });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      log.info({ requestId: s.requestId, traceId, method: request.method, route, status, ms }, "request");
    });
}

/** "email must be a valid email address; items.0.quantity: Expected integer" — the first few problems, for people. */
function describe(error: Readonly<ValidationError> | ValidationError): string {
  const problems = error.all.slice(0, 5).map((e) => {
    const custom = (e.schema as { error?: unknown }).error;
    if (typeof custom === "string") return custom;
    const where = e.path ? e.path.slice(1).replaceAll("/", ".") : error.type;
    return `${where}: ${"summary" in e && e.summary ? e.summary : e.message}`;
  });
  const unique = [...new Set(problems)];
  return unique.length ? `invalid ${error.type}: ${unique.join("; ")}` : `invalid ${error.type}`;
}

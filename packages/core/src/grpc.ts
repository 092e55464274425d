import {
  type handleServerStreamingCall,
  type handleUnaryCall,
  type Metadata,
  Server,
  type ServerWritableStream,
  type ServiceDefinition,
  status,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { authenticate, type Caller, type CallerAuth } from "./auth.ts";
import { toServiceError } from "./errors.ts";
import type { EventContext } from "./events.ts";
import type { Health } from "./health.ts";
import type { Logger } from "./logger.ts";
import { observeRpc } from "./metrics.ts";
import { SpanKind, SpanStatusCode, startSpan } from "./tracing.ts";
import { grpcTransport, serverCredentials } from "./transport.ts";

/** What a handler knows about the call: who asked, for tracing and logs. */
export interface CallContext extends EventContext {
  requestId: string;
  log: Logger;
  /** The verified caller (see `auth` of unaryHandlers); absent on an open method called without a token. */
  caller?: Caller;
}

// Mapped over the named unary methods only: generated servers also carry a string index signature,
// and a streaming method is written by hand.
type AsyncHandlers<S> = {
  // biome-ignore lint/suspicious/noExplicitAny: any request and response, to tell unary methods from streaming ones
  [K in keyof S as string extends K ? never : S[K] extends handleUnaryCall<any, any> ? K : never]: S[K] extends handleUnaryCall<infer Req, infer Res>
    ? (req: Req, ctx: CallContext) => Promise<Res>
    : never;
};

/**
 * Turns async handlers into grpc-js callbacks: one log line, one metric sample and one span per
 * call; the request id and trace context taken from metadata; every error mapped to a status by
 * toServiceError. Handlers get the call's own traceparent in `ctx`, so what they publish or call
 * next continues the trace.
 */
export function unaryHandlers<S extends UntypedServiceImplementation>(log: Logger, handlers: AsyncHandlers<S>, auth?: CallerAuth): S {
  const impl: Record<string, handleUnaryCall<unknown, unknown>> = {};
  for (const [method, handler] of Object.entries(handlers) as [string, (req: unknown, ctx: CallContext) => Promise<unknown>][]) {
    impl[method] = (call, callback) => {
      const started = performance.now();
      const path = call.getPath?.() ?? `/${method}`; // absent on hand-made calls in unit tests
      const requestId = first(call.metadata, "x-request-id") ?? Bun.randomUUIDv7();
      const { span, traceparent, traceId } = startSpan(path.slice(1), SpanKind.SERVER, first(call.metadata, "traceparent"), { "rpc.system": "grpc" });
      const ctx: CallContext = { requestId, traceparent, log: log.child({ requestId, traceId }), ...callerMeta(call.metadata) };
      const done = (code: string, fields: object = {}) => {
        const ms = elapsed(started);
        observeRpc(path, code, ms / 1000);
        span.setAttribute("rpc.grpc.status_code", code);
        if (code !== "OK") span.setStatus({ code: SpanStatusCode.ERROR, message: code });
        span.end();
        ctx.log.info({ method, code, ms, ...fields }, "rpc");
      };
      authenticate(auth, method, ctx)
        .then(() => handler(call.request, ctx))
        .then(
          (response) => {
            done("OK");
            callback(null, response);
          },
          (err: unknown) => {
            const error = toServiceError(err, ctx.log);
            done(status[error.code ?? status.UNKNOWN], { message: error.details });
            callback(error);
          },
        );
    };
  }
  return impl as S;
}

/**
 * A server-streaming method: the caller authenticated as for unary calls (see authenticate), then
 * `handler` writes to the call until it resolves (the call ends) or throws (the error's status).
 * One log line when the stream ends.
 */
export function serverStreamingHandler<Req, Res>(
  log: Logger,
  method: string,
  handler: (req: Req, call: ServerWritableStream<Req, Res>, ctx: CallContext) => Promise<void>,
  auth?: CallerAuth,
): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const started = performance.now();
    const requestId = first(call.metadata, "x-request-id") ?? Bun.randomUUIDv7();
    const ctx: CallContext = { requestId, log: log.child({ requestId }), ...callerMeta(call.metadata) };
    authenticate(auth, method, ctx)
      .then(() => handler(call.request, call, ctx))
      .then(
        () => {
          ctx.log.info({ method, code: "OK", ms: elapsed(started) }, "rpc stream ended");
          call.end();
        },
        (err: unknown) => {
          const error = toServiceError(err, ctx.log);
          ctx.log.info({ method, code: status[error.code ?? status.UNKNOWN], message: error.details, ms: elapsed(started) }, "rpc stream ended");
          call.emit("error", error);
        },
      );
  };
}

export async function startGrpcServer(
  port: number,
  services: [ServiceDefinition, UntypedServiceImplementation][],
  log: Logger,
  /** Serves grpc.health.v1 with this status, for the overall service and each one above. */
  health?: Health,
): Promise<{ server: Server; port: number; stop(timeoutMs?: number): Promise<void> }> {
  const server = new Server({
    "grpc.keepalive_permit_without_calls": 1,
    // Clients reconnect (and look the name up again) at least this often, so a replica added later
    // gets calls too (gRPC's MAX_CONNECTION_AGE, gRFC A9); calls in flight get the grace to finish.
    "grpc.max_connection_age_ms": 30_000,
    "grpc.max_connection_age_grace_ms": 10_000,
  });
  for (const [definition, impl] of services) {
    server.addService(definition, impl);
    health?.track(definition);
  }
  health?.grpc.addToServer(server);
  const transport = grpcTransport();
  const host = transport.bindHost.includes(":") ? `[${transport.bindHost}]` : transport.bindHost;
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, serverCredentials(transport), (err, p) => (err ? reject(err) : resolve(p))),
  );
  log.info({ port: bound, host: transport.bindHost, tls: Boolean(transport.tls) }, "gRPC server listening");
  return {
    server,
    port: bound,
    // Finish in-flight calls, but not forever.
    stop: (timeoutMs = 10_000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/** What a call made on the caller's behalf passes on: their token, their address. */
function callerMeta(metadata: Metadata): Pick<EventContext, "authorization" | "clientIp"> {
  return { authorization: first(metadata, "authorization"), clientIp: first(metadata, "x-client-ip") };
}

function first(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return value === undefined ? undefined : value.toString();
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

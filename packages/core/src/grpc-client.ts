import {
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ClientOptions,
  type ClientReadableStream,
  type ClientUnaryCall,
  Metadata,
  type ServiceDefinition,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import type { EventContext } from "./events.ts";
import { channelCredentials, channelOptions } from "./transport.ts";

type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

export interface CallMeta extends EventContext {
  deadlineMs?: number;
}

type ServerStreaming<Req, Res> = (request: Req, metadata?: Metadata, options?: Partial<CallOptions>) => ClientReadableStream<Res>;

/**
 * A generated grpc-js client with each unary method as `(request, meta?) => Promise<response>`,
 * and each server-streaming one as `(request, meta?) => stream` (no deadline: it lasts until either side ends it).
 */
export type PromiseClient<C> = {
  // biome-ignore lint/suspicious/noExplicitAny: in the key filter, a callback typed with `never` would reject every real method
  [K in keyof C as C[K] extends Unary<any, any> | ServerStreaming<any, any> ? K : never]: C[K] extends ServerStreaming<infer Req, infer Res>
    ? (request: Req, meta?: CallMeta) => ClientReadableStream<Res>
    : C[K] extends Unary<infer Req, infer Res>
      ? (request: Req, meta?: CallMeta) => Promise<Res>
      : never;
} & { close(): void };

type ClientConstructor<C> = (new (
  address: string,
  creds: ChannelCredentials,
  options?: Partial<ClientOptions>,
) => C) & {
  service: ServiceDefinition;
};

export interface ConnectOptions {
  /** Deadline of every call unless the call gives its own. */
  deadlineMs?: number;
  /** Methods that may be retried on UNAVAILABLE: reads, and writes made safe by an idempotency key. */
  retryable?: string[];
}

/**
 * Connects a generated client: keepalive so dead connections are noticed, a deadline on every
 * call so nothing hangs, retries only for the methods named safe, request id and trace context
 * passed on as metadata. Calls fail fast (no wait-for-ready) while the service is down: the
 * caller gets UNAVAILABLE at once rather than a hang until the deadline.
 */
export function connectService<C extends Client>(Ctor: ClientConstructor<C>, address: string, options: ConnectOptions = {}): PromiseClient<C> {
  const { deadlineMs = 5000, retryable = [] } = options;
  const service = Object.values(Ctor.service)[0]?.path.split("/")[1];
  const serviceConfig = {
    // Every address the name resolves to, in turn: replicas behind one DNS name (compose --scale) share the calls.
    loadBalancingConfig: [{ round_robin: {} }],
    methodConfig: retryable.length
      ? [
          {
            name: retryable.map((method) => ({ service, method })),
            retryPolicy: {
              maxAttempts: 3,
              initialBackoff: "0.05s",
              maxBackoff: "0.5s",
              backoffMultiplier: 2,
              retryableStatusCodes: ["UNAVAILABLE"],
            },
          },
        ]
      : [],
  };
  const client = new Ctor(grpcTarget(address), channelCredentials(), {
    "grpc.keepalive_time_ms": 30_000,
    "grpc.keepalive_timeout_ms": 5_000,
    // Our servers are grpc-js, which accepts pings this often; a grpc-go server or a proxy in
    // between may need its ping policy (min time) lowered to 30 s, or it answers too_many_pings.
    "grpc.keepalive_permit_without_calls": 1,
    // A restarted service is found again within seconds (grpc-js would back off up to 120 s).
    "grpc.initial_reconnect_backoff_ms": 250,
    "grpc.max_reconnect_backoff_ms": 5_000,
    // A name is looked up again at most this often when a connection ends (a replica gone, or the
    // server's connection age reached: that is how replicas added later are found).
    "grpc.dns_min_time_between_resolutions_ms": 5_000,
    "grpc.service_config": JSON.stringify(serviceConfig),
    ...channelOptions(),
  });
  // Connected now, in the background, rather than by the first call after a start (name lookup,
  // TCP and HTTP/2 handshakes); a service not up yet is tried again with the backoff above.
  client.waitForReady(Date.now() + 10_000, () => {});
  const promised: Record<string, unknown> = { close: () => client.close() };
  for (const [name, def] of Object.entries(Ctor.service)) {
    if (def.requestStream) continue;
    if (def.responseStream) {
      const open = (client as unknown as Record<string, ServerStreaming<unknown, unknown>>)[name]!.bind(client);
      promised[name] = (request: unknown, meta: CallMeta = {}) => open(request, metadataOf(meta));
      continue;
    }
    const method = (client as unknown as Record<string, Unary<unknown, unknown>>)[name]!.bind(client);
    promised[name] = (request: unknown, meta: CallMeta = {}) => {
      const deadline = Date.now() + (meta.deadlineMs ?? deadlineMs);
      const call = () =>
        new Promise((resolve, reject) => {
          method(request, metadataOf(meta), { deadline }, (err, res) => (err ? reject(err) : resolve(res)));
        });
      return hasIdempotencyKey(request) ? retryUnavailable(call, deadline) : call();
    };
  }
  return promised as PromiseClient<C>;
}

function metadataOf(meta: CallMeta): Metadata {
  const metadata = new Metadata();
  if (meta.requestId) metadata.set("x-request-id", meta.requestId);
  if (meta.traceparent) metadata.set("traceparent", meta.traceparent);
  if (meta.authorization) metadata.set("authorization", meta.authorization);
  if (meta.clientIp) metadata.set("x-client-ip", meta.clientIp);
  return metadata;
}

/** A write carrying an Idempotency-Key: the service answers a repeat with the first answer. */
function hasIdempotencyKey(request: unknown): boolean {
  const key = (request as { idempotencyKey?: unknown } | null)?.idempotencyKey;
  return typeof key === "string" && key !== "";
}

/**
 * A write made safe by its key is tried again on UNAVAILABLE (the replica that had it went away, or
 * the connection broke before the answer), on the next endpoint, within the call's deadline.
 */
async function retryUnavailable<T>(call: () => Promise<T>, deadline: number, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const backoff = 50 * 2 ** attempt;
      if (!isServiceError(err) || err.code !== status.UNAVAILABLE || attempt >= attempts || Date.now() + backoff >= deadline) throw err;
      await Bun.sleep(backoff);
    }
  }
}

/** `host:port` as it is (DNS: every address of the name), `ip:port,ip:port` as grpc-js's ipv4:/ipv6: list. */
export function grpcTarget(address: string): string {
  if (!address.includes(",") || /^(ipv4|ipv6|dns|unix):/.test(address)) return address;
  return `${address.startsWith("[") ? "ipv6" : "ipv4"}:${address}`;
}

export function isServiceError(err: unknown): err is ServiceError {
  return typeof err === "object" && err !== null && typeof (err as ServiceError).code === "number" && "details" in err;
}

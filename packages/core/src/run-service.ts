import { opsV1 } from "@evented/proto";
import type { ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { CallerAuth } from "./auth.ts";
import { Bus } from "./bus.ts";
import { loadConfig, type logConfig, type natsConfig, type telemetryConfig } from "./config.ts";
import { type ConsumerOptions, type Subscription, startConsumers } from "./consumer.ts";
import { type Database, openDatabase } from "./db.ts";
import { startGrpcServer } from "./grpc.ts";
import { createLogger, type Logger } from "./logger.ts";
import { opsServer } from "./ops-server.ts";
import { Outbox } from "./outbox.ts";
import { startServiceOps } from "./service-ops.ts";
import { onShutdown } from "./shutdown.ts";
import { startupWaitMs } from "./startup-wait.ts";
import { grpcTransport } from "./transport.ts";

type Env = Record<string, string | undefined>;

/** What every service's config.ts reads (besides its own settings). */
export type ServiceConfig = ReturnType<typeof natsConfig> & {
  port: number;
  dbConn: string;
  dbPoolSize: number;
  metricsPort: number;
  telemetry: ReturnType<typeof telemetryConfig>;
  log: ReturnType<typeof logConfig>;
};

/** What the runner has opened for the service, handed to its `setup`. */
export interface ServiceContext<C, S extends Record<string, unknown>> {
  config: C;
  log: Logger;
  db: PostgresJsDatabase<S>;
  database: Database<S>;
  bus: Bus;
  /** Relays what the service writes to the outbox (started only with `outbox: true`). */
  outbox: Outbox;
}

/** Something that runs beside the server (a relay, a deliverer) and is stopped on shutdown. */
export interface Work {
  start?(): void;
  stop(): Promise<unknown> | unknown;
}

/** What the service is, as its `setup` declares it. */
export interface ServiceParts {
  grpc: [ServiceDefinition, UntypedServiceImplementation][];
  subscriptions?: Subscription[];
  /** Options of the durable consumers (ack wait, attempts); bus, db and log are the runner's. */
  consumerOptions?: Partial<Omit<ConsumerOptions, "bus" | "db" | "log">>;
  /** Started before the consumers, stopped after them, in this order. */
  work?: Work[];
  /** Closed after the bus (clients of other services). */
  close?: (() => Promise<unknown> | unknown)[];
  /** How callers are verified: with it, the service also serves ops.v1.OpsService to admins. */
  auth?: CallerAuth;
  /** Ends long-lived calls (streams) first on shutdown: the gRPC server waits for calls in flight. */
  endStreams?: (() => Promise<unknown> | unknown)[];
}

export interface ServiceSpec<C extends ServiceConfig, S extends Record<string, unknown>> {
  name: string;
  readConfig: (env: Env) => C;
  schema: S;
  migrationsFolder: string;
  /** The service writes events: relay its outbox to NATS. */
  outbox?: boolean;
  /** The service takes Idempotency-Keys: prune the expired ones hourly. */
  idempotencyKeys?: boolean;
  setup(ctx: ServiceContext<C, S>): ServiceParts | Promise<ServiceParts>;
}

/**
 * Runs one service: config (exit 78 on a bad one), logger, database opened and migrated, bus,
 * outbox relay, health, metrics, tracing, durable consumers, the gRPC server (port 0 binds a free
 * one, logged as `port`), and on SIGTERM/SIGINT the shutdown in this order: health NOT_SERVING,
 * streams ended, gRPC stop (in-flight calls finish), consumers, work, outbox, bus, clients, ops, database.
 */
export async function runService<C extends ServiceConfig, S extends Record<string, unknown>>(spec: ServiceSpec<C, S>) {
  const { name } = spec;
  const config = loadConfig(name, spec.readConfig);
  loadConfig(name, grpcTransport); // GRPC_BIND_HOST and TLS: a bad value stops the service here, with 78
  loadConfig(name, startupWaitMs); // and STARTUP_WAIT_MS
  const log = createLogger(name, config.log);
  // What is running so far: a signal during start-up (a rolling update, Ctrl-C while a database is
  // still being made) stops what has started, in the same order, and exits 0.
  const up: {
    database?: Database<S>;
    bus?: Bus;
    outbox?: Outbox;
    parts?: ServiceParts;
    ops?: Awaited<ReturnType<typeof startServiceOps>>;
    consumers?: Awaited<ReturnType<typeof startConsumers>>;
    grpc?: Awaited<ReturnType<typeof startGrpcServer>>;
  } = {};
  const each = (fns: (() => unknown)[]) => async () => {
    for (const fn of fns) await Promise.resolve(fn()).catch((err) => log.warn({ err }, "shutdown step failed"));
  };
  onShutdown(log, [
    () => up.ops?.health.shutdown(),
    () => each(up.parts?.endStreams ?? [])(),
    () => up.grpc?.stop(),
    () => up.consumers?.stop(),
    () => each((up.parts?.work ?? []).map((w) => () => w.stop()))(),
    () => (spec.outbox ? up.outbox?.stop() : undefined),
    () => up.bus?.close(),
    () => each(up.parts?.close ?? [])(),
    () => up.ops?.stop(),
    () => up.database?.close(),
  ]);

  const database = await openDatabase(config.dbConn, spec.schema, {
    log,
    migrationsFolder: spec.migrationsFolder,
    poolSize: config.dbPoolSize,
  });
  up.database = database;
  const bus = await Bus.connect({
    url: config.natsUrl,
    name,
    stream: config.stream,
    prefix: config.subjectPrefix,
    duplicateWindowMs: config.duplicateWindowMs,
    replicas: config.streamReplicas,
    log,
  });
  up.bus = bus;
  const outbox = new Outbox(database.db, bus, log);
  up.outbox = outbox;
  if (spec.outbox) outbox.start();
  const parts = await spec.setup({ config, log, db: database.db, database, bus, outbox });
  up.parts = parts;
  for (const w of parts.work ?? []) w.start?.();
  const subscriptions = parts.subscriptions ?? [];
  const { metricsPort, telemetry } = config;
  const ops = await startServiceOps(name, {
    log,
    database,
    bus,
    outbox: spec.outbox ? outbox : undefined,
    idempotencyKeys: spec.idempotencyKeys,
    consumers: subscriptions.length ? subscriptions.map((s) => s.durable) : undefined,
    metricsPort,
    telemetry,
  });
  up.ops = ops;
  up.consumers = subscriptions.length ? await startConsumers(subscriptions, { ...parts.consumerOptions, bus, db: database.db, log }) : undefined;
  const opsService: ServiceParts["grpc"] = parts.auth
    ? [[opsV1.OpsServiceService, opsServer({ db: database.db, bus, log, outbox: Boolean(spec.outbox), subscriptions }, parts.auth)]]
    : [];
  const grpc = await startGrpcServer(config.port, [...parts.grpc, ...opsService], log, ops.health);
  up.grpc = grpc;
  return { config, log, port: grpc.port };
}

// The standard gRPC health protocol (grpc.health.v1 Check and Watch, grpc-node's own
// implementation) fed by probes of what a service cannot work without: its database and NATS.
import { status as grpcStatus, makeGenericClientConstructor, type ServiceDefinition } from "@grpc/grpc-js";
import { HealthImplementation, service as healthService, type ServingStatus } from "grpc-health-check";
import type postgres from "postgres";
import client from "prom-client";
import type { Bus } from "./bus.ts";
import type { Logger } from "./logger.ts";
import { channelCredentials, channelOptions } from "./transport.ts";

export type { ServingStatus };

/** Something the service depends on; `check` rejects (or takes too long) while it is unusable. */
export interface Probe {
  name: string;
  check(): Promise<unknown>;
}

/** `select 1` on the service's own pool: cheap, and proves a connection can be had. */
export const databaseProbe = (sql: postgres.Sql): Probe => ({ name: "database", check: () => sql`select 1` });

/** The Bus's connection state, as NATS reports it. */
export const busProbe = (bus: Bus): Probe => ({
  name: "nats",
  check: async () => {
    if (!bus.isConnected) throw new Error("NATS is disconnected");
  },
});

export interface HealthOptions {
  intervalMs?: number;
  /** A probe slower than this counts as down. */
  timeoutMs?: number;
}

let upGauge: client.Gauge<"dependency"> | undefined;

/**
 * Polls the probes and reports SERVING or NOT_SERVING for the overall service ("") and for each
 * gRPC service on the server. Orchestrators (Docker HEALTHCHECK, Kubernetes grpc probes) and the
 * gateway's /ready ask Check with service "".
 */
export class Health {
  readonly grpc = new HealthImplementation({ "": "NOT_SERVING" });
  private readonly services = new Set<string>([""]);
  private status: ServingStatus = "NOT_SERVING";
  private down: string[] = [];
  private timer: Timer | undefined;
  private checking: Promise<void> | undefined;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly probes: Probe[],
    private readonly log: Logger,
    { intervalMs = 2000, timeoutMs = 1000 }: HealthOptions = {},
  ) {
    this.intervalMs = intervalMs;
    this.timeoutMs = timeoutMs;
    upGauge ??= new client.Gauge({ name: "dependency_up", help: "1 while the dependency answers its health probe, else 0.", labelNames: ["dependency"] });
  }

  /** Reports for these gRPC services too (by full name, e.g. "user.v1.UserService"). */
  track(definition: ServiceDefinition): void {
    const name = Object.values(definition)[0]?.path.split("/")[1];
    if (!name) return;
    this.services.add(name);
    this.grpc.setStatus(name, this.status);
  }

  /** Probes once (so the first answer is true), then every interval. */
  async start(): Promise<void> {
    await this.check();
    this.timer ??= setInterval(() => void this.check(), this.intervalMs);
  }

  /** Runs every probe; a probe still running from the last tick is not started twice. */
  check(): Promise<void> {
    this.checking ??= this.probeAll().finally(() => (this.checking = undefined));
    return this.checking;
  }

  /** NOT_SERVING from now on, so that load balancers stop sending calls before the server stops. */
  shutdown(): void {
    clearInterval(this.timer);
    this.stopped = true;
    this.set("NOT_SERVING");
  }

  get unavailable(): readonly string[] {
    return this.down;
  }

  private async probeAll(): Promise<void> {
    const results = await Promise.all(
      this.probes.map(async (p) => {
        const ok = await withTimeout(p.check(), this.timeoutMs).then(
          () => true,
          () => false,
        );
        upGauge?.set({ dependency: p.name }, ok ? 1 : 0);
        return ok ? undefined : p.name;
      }),
    );
    if (this.stopped) return;
    const down = results.filter((n): n is string => n !== undefined);
    if (down.join() !== this.down.join()) {
      if (down.length) this.log.warn({ down }, "not serving: dependencies unreachable");
      else this.log.info("serving: every dependency answers");
    }
    this.down = down;
    this.set(down.length ? "NOT_SERVING" : "SERVING");
  }

  private set(status: ServingStatus): void {
    if (status === this.status) return; // setStatus wakes every Watch: only on a change
    this.status = status;
    for (const name of this.services) this.grpc.setStatus(name, status);
  }
}

/** `promise`, or a rejection after `ms` (the timer cleared either way). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// The client side, for the gateway's readiness and for tests.
const HealthClient = makeGenericClientConstructor(healthService as unknown as ServiceDefinition, "Health");

export interface HealthChecker {
  /** The service's answer to Check(service), or the gRPC status name when it could not answer (e.g. UNAVAILABLE). */
  check(service?: string, deadlineMs?: number): Promise<string>;
  close(): void;
}

export function connectHealth(address: string): HealthChecker {
  const c = new HealthClient(address, channelCredentials(), {
    "grpc.initial_reconnect_backoff_ms": 250,
    "grpc.max_reconnect_backoff_ms": 5_000,
    ...channelOptions(),
  });
  const check = c.check!.bind(c) as (req: object, opts: object, cb: (err: { code: number; details: string } | null, res?: { status: string }) => void) => void;
  return {
    check: (service = "", deadlineMs = 1000) =>
      new Promise((resolve) =>
        check({ service }, { deadline: Date.now() + deadlineMs }, (err, res) =>
          resolve(err ? (grpcStatus[err.code] ?? "UNKNOWN") : (res?.status ?? "UNKNOWN")),
        ),
      ),
    close: () => c.close(),
  };
}

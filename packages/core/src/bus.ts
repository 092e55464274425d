import {
  AckPolicy,
  type ConsumerConfig,
  connect,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  nanos,
  headers as natsHeaders,
  type PubAck,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "nats";
import type { Logger } from "./logger.ts";
import { waitUntilReady } from "./startup-wait.ts";

export interface BusOptions {
  /** One server, or several comma-separated (a cluster): the client picks one and fails over. */
  url: string;
  /** Connection name, shown by the server's monitoring. */
  name: string;
  /** The JetStream stream that holds every event, e.g. "EVENTS". */
  stream: string;
  /** Subject prefix of every event, e.g. "events" for "events.user.created". */
  prefix: string;
  log: Logger;
  /** How long JetStream remembers a message id to drop a re-publish (default 2 min). */
  duplicateWindowMs?: number;
  /** How long events stay in the stream (default 7 days). */
  maxAgeMs?: number;
  /** Copies of the stream in a JetStream cluster (NATS_STREAM_REPLICAS: 1 in development, 3 in production). */
  replicas?: number;
}

/** Defaults of the stream settings options may change; see README "Delivery guarantees". */
export const STREAM_DEFAULTS = { duplicateWindowMs: 120_000, maxAgeMs: 7 * 24 * 3600_000 } as const;

/** One NATS connection with JetStream: the stream as code, publish with ack, and connection state. */
export class Bus {
  private connected = true;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly options: BusOptions,
  ) {
    void this.watch();
  }

  static async connect(options: BusOptions): Promise<Bus> {
    const { log } = options;
    // The servers without their credentials, which go to nats.js as options (and never to a log).
    const servers = natsServers(options.url);
    log.info({ url: servers.servers.join(",") }, "connecting to NATS");
    const nc = await connect({
      ...servers,
      name: options.name,
      // Never give up: outages are waited out, and the outbox keeps events meanwhile.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: true,
    });
    // A server just started (or a cluster electing its meta leader) answers "jetstream system
    // temporarily unavailable" for a while: wait for it, as in every rolling restart.
    const jsm = await waitUntilReady("JetStream", () => nc.jetstreamManager(), isStarting, { log });
    const bus = new Bus(nc, nc.jetstream(), jsm, options);
    await waitUntilReady(`stream ${options.stream}`, () => bus.ensureStream(), isStarting, { log });
    return bus;
  }

  get isConnected(): boolean {
    return this.connected && !this.nc.isClosed();
  }

  /** Creates the stream, or brings an existing one to this configuration; safe from every replica at once. */
  async ensureStream(): Promise<void> {
    const { stream, prefix, duplicateWindowMs = STREAM_DEFAULTS.duplicateWindowMs, maxAgeMs = STREAM_DEFAULTS.maxAgeMs } = this.options;
    const config: Partial<StreamConfig> & { name: string } = {
      name: stream,
      // Every event subject, events.<aggregate>.<what>: one stream, so one sequence and one replay point.
      subjects: [`${prefix}.>`],
      // On disk: events survive a restart of the server.
      storage: StorageType.File,
      // Kept by age, not by acks: a consumer added later (or replaying) still finds them.
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      duplicate_window: nanos(duplicateWindowMs),
      max_age: nanos(maxAgeMs),
      // Applied on every start: raising it (1 -> 3) makes JetStream copy the stream to more servers.
      ...(this.options.replicas ? { num_replicas: this.options.replicas } : {}),
    };
    try {
      await this.jsm.streams.info(stream);
      await this.jsm.streams.update(stream, config);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.jsm.streams.add(config);
    }
  }

  /** Creates or updates a durable pull consumer. */
  async ensureConsumer(config: Partial<ConsumerConfig> & { durable_name: string }): Promise<void> {
    const full: Partial<ConsumerConfig> = {
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ...config,
    };
    const ensure = async () => {
      try {
        await this.jsm.consumers.info(this.options.stream, config.durable_name);
        await this.jsm.consumers.update(this.options.stream, config.durable_name, full);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await this.jsm.consumers.add(this.options.stream, full);
      }
    };
    await waitUntilReady(`consumer ${config.durable_name}`, ensure, isStarting, { log: this.options.log });
  }

  /** Publishes and waits for JetStream's ack. The message id makes a re-publish a no-op within the window. */
  publish(subject: string, data: Uint8Array, msgId: string, headers: Record<string, string>, timeout = 5000): Promise<PubAck> {
    const h = natsHeaders();
    for (const [k, v] of Object.entries(headers)) if (v) h.set(k, v);
    return this.js.publish(subject, data, { msgID: msgId, headers: h, timeout });
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }

  private async watch(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === "disconnect") {
        this.connected = false;
        this.options.log.warn("NATS disconnected; events wait in the outbox");
      } else if (s.type === "reconnect") {
        this.connected = true;
        this.options.log.info("NATS reconnected");
      }
    }
  }
}

/**
 * NATS_URL's servers, and the credentials in it (nats://user:password@host or nats://token@host)
 * as nats.js wants them: it ignores credentials written in a server URL and connects as nobody.
 */
export function natsServers(url: string): { servers: string[]; user?: string; pass?: string; token?: string } {
  let user: string | undefined;
  let pass: string | undefined;
  const servers = url
    .split(",")
    .filter((s) => s.trim())
    .map((s) => {
      const parsed = new URL(s.trim());
      if (parsed.username && !user) {
        user = decodeURIComponent(parsed.username);
        pass = parsed.password ? decodeURIComponent(parsed.password) : undefined;
      }
      parsed.username = "";
      parsed.password = "";
      return parsed.toString().replace(/\/$/, "");
    });
  if (user === undefined) return { servers };
  return pass === undefined ? { servers, token: user } : { servers, user, pass };
}

/** What a starting server or cluster answers until JetStream has a leader and enough peers. */
function isStarting(err: unknown): boolean {
  const e = err as { code?: string | number; message?: string };
  return (
    ["503", "408", "TIMEOUT"].includes(String(e?.code)) ||
    /temporarily unavailable|no responders|timeout|insufficient resources|no suitable peers|leader/i.test(e?.message ?? "")
  );
}

function isNotFound(err: unknown): boolean {
  const e = err as { code?: string | number; api_error?: { err_code?: number }; message?: string };
  return e?.code === "404" || e?.code === 404 || /not found/i.test(e?.message ?? "");
}

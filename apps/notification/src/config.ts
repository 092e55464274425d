import { authConfig, ConfigError, emailKeyConfig, hostPort, int, logConfig, natsConfig, optional, port, telemetryConfig, url } from "@evented/core";

type Env = Record<string, string | undefined>;

export function readConfig(env: Env) {
  const delivery = deliveryConfig(env);
  return {
    port: port(env, "NOTIFICATION_PORT", 50053),
    dbConn: url(env, "NOTIFICATION_DB_CONN", "postgres://postgres@127.0.0.1:5432/notifications", ["postgres:", "postgresql:"]),
    dbPoolSize: int(env, "NOTIFICATION_DB_POOL_SIZE", 10, { min: 1, max: 200 }),
    /** How long JetStream waits for an ack before redelivering a message a crashed worker held. */
    ackWaitMs: int(env, "NOTIFICATION_ACK_WAIT_MS", 30_000, { min: 1000 }),
    /** Handler runs of one event before it is dead-lettered (recording, not sending). */
    maxAttempts: int(env, "NOTIFICATION_MAX_ATTEMPTS", 5, { min: 1, max: 100 }),
    delivery,
    channels: channelConfig(env, delivery.sendTimeoutMs),
    /** Port of the Prometheus /metrics listener; 0 = none. */
    metricsPort: port(env, "NOTIFICATION_METRICS_PORT", 0),
    ...natsConfig(env),
    telemetry: telemetryConfig(env),
    log: logConfig(env),
    auth: authConfig(env),
    /** Asked for the public keys of access tokens, unless AUTH_JWKS is set. */
    userServiceUrl: hostPort(env, "USER_SERVICE_URL", "127.0.0.1:50051"),
    links: {
      emailKey: emailKeyConfig(env),
      /** Where the frontend's pages are: the links of verification, reset and invitation emails open them. */
      appUrl: url(env, "APP_URL", "http://localhost:8080", ["http:", "https:"]),
    },
  };
}

export type Config = ReturnType<typeof readConfig>;
export type ChannelConfig = ReturnType<typeof channelConfig>;

/** How deliveries are retried; see deliverer.ts. */
function deliveryConfig(env: Env) {
  const sendTimeoutMs = int(env, "NOTIFICATION_SEND_TIMEOUT_MS", 10_000, { min: 100, max: 300_000 });
  const leaseMs = int(env, "NOTIFICATION_DELIVERY_LEASE_MS", 60_000, { min: 200 });
  // A send still running when its lease ends may be sent again by another replica.
  if (leaseMs < 2 * sendTimeoutMs) {
    throw new ConfigError(`NOTIFICATION_DELIVERY_LEASE_MS (${leaseMs}) must be at least twice NOTIFICATION_SEND_TIMEOUT_MS (${sendTimeoutMs})`);
  }
  return {
    maxAttempts: int(env, "NOTIFICATION_DELIVERY_MAX_ATTEMPTS", 8, { min: 1, max: 100 }),
    backoffMs: intList(env, "NOTIFICATION_DELIVERY_BACKOFF_MS", [5000, 30_000, 120_000, 600_000, 1_800_000]),
    leaseMs,
    pollMs: int(env, "NOTIFICATION_DELIVERY_POLL_MS", 1000, { min: 10 }),
    sendTimeoutMs,
  };
}

/** Where each channel sends; an unset channel logs instead (development). */
function channelConfig(env: Env, timeoutMs: number) {
  const smtpUrl = optionalUrl(env, "SMTP_URL", ["smtp:", "smtps:"]);
  const from = optional(env, "EMAIL_FROM");
  if (smtpUrl && !from) throw new ConfigError("EMAIL_FROM is required when SMTP_URL is set");
  if (from !== undefined && !senderDomain(from)) {
    throw new ConfigError(`EMAIL_FROM must be an address like notifications@example.com or "Shop <notifications@example.com>", got "${from}"`);
  }
  return {
    email: smtpUrl ? { smtpUrl, from: from!, timeoutMs } : undefined,
    sms: webhook(env, "SMS", timeoutMs),
    push: webhook(env, "PUSH", timeoutMs),
  };
}

function webhook(env: Env, prefix: "SMS" | "PUSH", timeoutMs: number) {
  const target = optionalUrl(env, `${prefix}_WEBHOOK_URL`, ["http:", "https:"]);
  return target ? { url: target, token: optional(env, `${prefix}_WEBHOOK_TOKEN`), timeoutMs } : undefined;
}

/** The domain of an address like "a@b.c" or "Name <a@b.c>", or undefined when it is not one. */
export function senderDomain(from: string): string | undefined {
  return /^(?:[^<>]*<\s*)?[^\s@<>]+@([^\s@<>]+\.[^\s@<>]+?)\s*>?$/.exec(from.trim())?.[1];
}

function optionalUrl(env: Env, name: string, protocols: readonly string[]): string | undefined {
  return optional(env, name) === undefined ? undefined : url(env, name, undefined, protocols);
}

function intList(env: Env, name: string, fallback: number[]): number[] {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  const list = value.split(",").map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new ConfigError(`${name} must be a comma-separated list of milliseconds, like "1000,5000,30000", got "${value}"`);
  }
  return list;
}

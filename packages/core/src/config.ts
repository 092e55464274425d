// Each app reads its environment once, at start-up, through these helpers; a bad value stops
// the app with a message that names the variable.
export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === "" ? undefined : value;
}

export function str(env: Env, name: string, fallback?: string): string {
  const value = raw(env, name) ?? fallback;
  if (value === undefined) throw new ConfigError(`${name} is required`);
  return value;
}

export function optional(env: Env, name: string): string | undefined {
  return raw(env, name);
}

export function int(env: Env, name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

export function port(env: Env, name: string, fallback: number): number {
  return int(env, name, fallback, { min: 0, max: 65535 });
}

export function oneOf<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const value = raw(env, name) ?? fallback;
  if (!choices.includes(value as T)) throw new ConfigError(`${name} must be one of ${choices.join(", ")}, got "${value}"`);
  return value as T;
}

export function url(env: Env, name: string, fallback: string | undefined, protocols: readonly string[]): string {
  const value = str(env, name, fallback);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be a URL (${protocols.join(" or ")}), got "${redactUrl(value)}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(" or ")}, got "${parsed.protocol}"`);
  }
  return value;
}

/**
 * host:port, as gRPC clients take it (the seed's USER_SERVICE_URL=localhost:50051): a name whose
 * every address is a replica (compose, Kubernetes), or a comma-separated list of IP:port.
 */
export function hostPort(env: Env, name: string, fallback: string): string {
  const value = str(env, name, fallback).replace(/^(grpc|http|dns):\/\/\/?/, "");
  const endpoints = value.split(",").map((e) => e.trim());
  const ok = (e: string) => /^[\w.-]+:\d{1,5}$|^\[[\d:a-f]+\]:\d{1,5}$/i.test(e);
  const ip = (e: string) => /^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$|^\[[\d:a-f]+\]:\d{1,5}$/i.test(e);
  if (!endpoints.every(ok)) throw new ConfigError(`${name} must be host:port, got "${value}"`);
  if (endpoints.length > 1 && !endpoints.every(ip)) {
    throw new ConfigError(`${name}: a list of endpoints must be IP:port each (or one DNS name with several addresses), got "${value}"`);
  }
  return endpoints.join(",");
}

/** A connection string with its password replaced, safe to log. */
export function redactUrl(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return value.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
  }
}

/** Runs `read` and turns a ConfigError into one clear line and exit code 78 (EX_CONFIG). */
export function loadConfig<T>(service: string, read: (env: Env) => T, env: Env = process.env): T {
  try {
    return read(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${service}: invalid configuration: ${err.message}`);
    process.exit(78);
  }
}

/** Settings every service shares: NATS, the event stream, logs. */
export function natsConfig(env: Env) {
  const protocols = ["nats:", "tls:", "ws:", "wss:"];
  // The credentials apart from the URL (as a Secret gives them), in place of any written in it.
  const user = optional(env, "NATS_USER");
  const password = optional(env, "NATS_PASSWORD");
  if ((user === undefined) !== (password === undefined)) throw new ConfigError("NATS_USER and NATS_PASSWORD are set together or not at all");
  const withCredentials = (server: string) => {
    if (user === undefined || password === undefined) return server;
    const u = new URL(server);
    u.username = encodeURIComponent(user);
    u.password = encodeURIComponent(password);
    return u.toString().replace(/\/$/, "");
  };
  return {
    /** One server or a comma-separated list (a cluster), each a URL; NATS_USER/NATS_PASSWORD go into them. */
    natsUrl: str(env, "NATS_URL", "nats://127.0.0.1:4222")
      .split(",")
      .map((server) => withCredentials(url({ NATS_URL: server }, "NATS_URL", undefined, protocols)))
      .join(","),
    /** Copies of the event stream in a JetStream cluster: 1 in development, 3 in production. */
    streamReplicas: int(env, "NATS_STREAM_REPLICAS", 1, { min: 1, max: 5 }),
    stream: str(env, "NATS_STREAM", "EVENTS"),
    subjectPrefix: str(env, "NATS_SUBJECT_PREFIX", "events"),
    /** How long JetStream drops a re-publish of the same event id (Nats-Msg-Id). */
    duplicateWindowMs: int(env, "NATS_DUPLICATE_WINDOW_MS", 120_000, { min: 100 }),
  };
}

export function logConfig(env: Env) {
  return {
    level: oneOf(env, "LOG_LEVEL", ["trace", "debug", "info", "warn", "error", "fatal", "silent"], "info"),
    format: oneOf(env, "LOG_FORMAT", ["json", "pretty"], "json"),
  };
}

/** Tracing: off unless an OTLP endpoint is named (the standard OpenTelemetry variables). */
export function telemetryConfig(env: Env) {
  return {
    otlpEndpoint: raw(env, "OTEL_EXPORTER_OTLP_ENDPOINT") && url(env, "OTEL_EXPORTER_OTLP_ENDPOINT", undefined, ["http:", "https:"]),
    exportDelayMs: int(env, "OTEL_BSP_SCHEDULE_DELAY", 5000, { min: 1 }),
    serviceName: optional(env, "OTEL_SERVICE_NAME"),
  };
}

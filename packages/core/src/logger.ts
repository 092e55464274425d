import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

export type { Logger };

export interface LogOptions {
  level?: string;
  /** "json" for machines (production), "pretty" for people (bun run dev). */
  format?: "json" | "pretty";
}

export function createLogger(service: string, { level = "info", format = "json" }: LogOptions = {}): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    // Secrets never reach a log line, whatever a caller passes in.
    redact: { paths: ["password", "*.password", "authorization", "*.authorization", "headers.cookie"], censor: "***" },
  };
  // pino-pretty as an in-process stream: no worker thread, same behaviour on Bun and Node.
  return format === "pretty" ? pino(options, pretty({ colorize: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname,service" })) : pino(options);
}

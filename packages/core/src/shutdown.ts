import type { Logger } from "./logger.ts";

/**
 * Runs the steps in order on SIGTERM or SIGINT (stop taking work, finish what is in flight,
 * close connections), then exits; a second signal or the deadline exits at once.
 */
export function onShutdown(log: Logger, steps: (() => Promise<unknown> | unknown)[], deadlineMs = 15_000): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, "shutting down");
    setTimeout(() => {
      log.error("shutdown took too long; exiting");
      process.exit(1);
    }, deadlineMs).unref();
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        log.warn({ err }, "shutdown step failed");
      }
    }
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

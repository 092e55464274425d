import { int } from "./config.ts";
import type { Logger } from "./logger.ts";

/**
 * How long start-up waits for a broker or database that is not ready yet: STARTUP_WAIT_MS, default
 * 120 s. Past it the process exits, and an orchestrator restarts it.
 */
export function startupWaitMs(env: Record<string, string | undefined> = process.env): number {
  return int(env, "STARTUP_WAIT_MS", 120_000);
}

export interface StartupWaitOptions {
  log: Logger;
  /** Give up after this long (default STARTUP_WAIT_MS, 120 s): the orchestrator then restarts the process. */
  timeoutMs?: number;
  /** First delay between attempts; it doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Runs `attempt` until it succeeds while `isTransient` says the failure is one that passes (a broker
 * or database still starting, as in every rolling restart), with bounded backoff and one log line
 * saying what is awaited. Any other failure, or one past the time limit, is thrown.
 */
export async function waitUntilReady<T>(
  what: string,
  attempt: () => Promise<T>,
  isTransient: (err: unknown) => boolean,
  { log, timeoutMs = startupWaitMs(), initialDelayMs = 100, maxDelayMs = 2_000 }: StartupWaitOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = initialDelayMs;
  let waited = false;
  for (;;) {
    try {
      const result = await attempt();
      if (waited) log.info(`${what}: ready`);
      return result;
    } catch (err) {
      if (!isTransient(err) || Date.now() + delay > deadline) throw err;
      if (!waited) log.warn({ err: String((err as Error)?.message ?? err) }, `${what}: not ready yet, waiting (up to ${timeoutMs / 1000} s)`);
      waited = true;
      await Bun.sleep(delay);
      delay = Math.min(delay * 2, maxDelayMs);
    }
  }
}

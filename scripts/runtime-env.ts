/**
 * How Bun's runtime is tuned when the apps run in production: `bun run start`, the bench, and the
 * Dockerfiles (which set the same ENV; e2e/deploy.test.ts checks they agree).
 * Measured with `bun run bench` (bench/README.md): peak RSS per app under load 160-205 MB -> 120-145 MB,
 * throughput unchanged within the machine's noise.
 */
export const PRODUCTION_RUNTIME_ENV = {
  // JavaScriptCore paces its collections by the machine's RAM: on a 24 GiB host it let ~60 MB of
  // garbage pile up between collections in the gateway. Told it has 1 GiB, it collects sooner.
  BUN_JSC_forceRAMSize: String(1024 ** 3),
  // mimalloc returns freed pages to the system at once rather than after its default delay.
  MIMALLOC_PURGE_DELAY: "0",
} as const;

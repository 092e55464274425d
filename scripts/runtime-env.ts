/**
 * How Bun's runtime is tuned when the apps run in production: `bun run start`, the bench, and the
 * Dockerfiles (which set the same ENV; e2e/deploy.test.ts checks they agree).
 */
export const PRODUCTION_RUNTIME_ENV = {
  // JavaScriptCore paces its collections by the machine's RAM: on this 24 GiB host it let ~60 MB
  // of garbage pile up between collections in the gateway. Told it has 512 MiB, it collects
  // sooner: peak RSS per app under load 160-205 MB -> 120-150 MB, CPU per request the same within
  // the machine's noise (bench/README.md).
  BUN_JSC_forceRAMSize: String(512 * 1024 ** 2),
} as const;

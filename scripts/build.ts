// `bun run build [app…]`: each app (default: all of system.ts) as one JavaScript file,
// apps/<app>/dist/main.js, which is what runs in production: `bun run start`, the bench and the
// images. Bun runs the TypeScript sources as they are, but then every module of every dependency
// stays loaded as its own source and code: bundled, each app's peak RSS under load is 15-20 MB lower
// at the same CPU (bench/README.md). Not minified: handlers, stack traces and error names read as
// written. `bun run dev` and the tests run the sources.
// A bundled CommonJS package keeps its __dirname as an absolute path from the build (grpc-health-check
// reads its health.proto there when it loads), so a bundle runs where it was built, or where
// node_modules sits at the same path: the images build and run in /app.
import { dirname, join } from "node:path";
import { appNames, paths } from "../system.ts";

const ROOT = join(import.meta.dir, "..");

/** Builds `name`'s bundle; throws with Bun's messages if it does not build. */
export async function buildApp(name: string): Promise<string> {
  const outfile = join(ROOT, paths(name).bundle);
  const result = await Bun.build({
    entrypoints: [join(ROOT, paths(name).entry)],
    outdir: dirname(outfile),
    target: "bun",
    // The gateway's web app (apps/web) is built or served apart, and only where there is no
    // WEB_DIR: left as imports, which resolve the same from dist/ as from src/.
    external: ["../../web/*"],
  });
  if (!result.success) throw new AggregateError(result.logs, `building ${name} failed:\n${result.logs.join("\n")}`);
  return outfile;
}

export const buildApps = (names: string[] = appNames()) => Promise.all(names.map(buildApp));

if (import.meta.main) {
  const built = await buildApps(process.argv.length > 2 ? process.argv.slice(2) : undefined);
  console.log(`built ${built.map((f) => f.slice(ROOT.length + 1)).join(", ")}`);
}

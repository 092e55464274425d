// The web app's production build: index.html and its hashed assets under /assets/, minified.
// `bun apps/web/build.ts [outdir]` writes them (default apps/web/dist; the gateway image does this);
// a gateway with no built folder calls buildWeb() itself on the first page request.
import { join } from "node:path";

export const ENTRY = join(import.meta.dir, "src/index.html");

export async function buildWeb(outdir?: string) {
  const result = await Bun.build({
    entrypoints: [ENTRY],
    outdir,
    minify: true,
    // React's production build: without it the bundle keeps React's development checks.
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    publicPath: "/",
    naming: { entry: "[name].[ext]", chunk: "assets/[name]-[hash].[ext]", asset: "assets/[name]-[hash].[ext]" },
  });
  if (!result.success) throw new AggregateError(result.logs, "building the web app failed");
  return result.outputs;
}

if (import.meta.main) {
  const outdir = process.argv[2] ?? join(import.meta.dir, "dist");
  const outputs = await buildWeb(outdir);
  console.log(`built ${outdir}: ${outputs.map((o) => o.path.replace(/^\.\//, "")).join(", ")}`);
}

// Builds what a frontend installs: dist/index.js (for browsers, its peers left as imports) and
// dist/index.d.ts, one self-contained declaration file with the gateway's whole API type written out.
// The declarations are bundled by dts-bundle-generator: it compiles src/ with the TypeScript compiler
// and inlines every type that comes from this workspace, so a frontend needs no server source.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { generateDtsBundle } from "dts-bundle-generator";
import pkg from "../package.json" with { type: "json" };

const root = join(import.meta.dir, "..");
const dist = join(root, "dist");
/** The only packages the declarations may import from: what a frontend installs with the client. */
const allowed = [...Object.keys(pkg.peerDependencies), ...Object.keys(pkg.dependencies)];

await rm(dist, { recursive: true, force: true });

const js = await Bun.build({ entrypoints: [join(root, "src/index.ts")], outdir: dist, target: "browser", format: "esm", packages: "external" });
if (!js.success) throw new AggregateError(js.logs, "building dist/index.js failed");

const [dts] = generateDtsBundle(
  [{ filePath: join(root, "src/index.ts"), libraries: { importedLibraries: allowed, allowedTypesLibraries: [] }, output: { noBanner: true, exportReferencedTypes: false } }],
  // Maps the workspace packages to their source, so their types are inlined rather than imported.
  { preferredConfigPath: join(root, "tsconfig.build.json") },
);
const imported = new Set([...dts!.matchAll(/(?:from |import\()["']([^"']+)["']/g)].map((m) => m[1]!));
const stray = [...imported].filter((name) => !allowed.some((a) => name === a || name.startsWith(`${a}/`)));
if (stray.length > 0 || /reference (types|path)=/.test(dts!)) {
  throw new Error(`dist/index.d.ts must import only ${allowed.join(", ")}; it imports ${[...imported].join(", ")}`);
}
await Bun.write(join(dist, "index.d.ts"), dts!);
console.log(`built ${dist}: index.js, index.d.ts (${Math.round(dts!.length / 1024)} KiB, imports ${[...imported].join(", ")})`);

// Builds what a frontend installs: dist/index.js (for browsers, its peers left as imports) and
// dist/index.d.ts, one self-contained declaration file with the gateway's whole API type written out.
// The declarations are bundled by dts-bundle-generator: it compiles src/ with the TypeScript compiler
// and inlines every type that comes from this workspace, so a frontend needs no server source.
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Glob } from "bun";
import { generateDtsBundle } from "dts-bundle-generator";
import root from "../../../package.json" with { type: "json" };
import pkg from "../package.json" with { type: "json" };

const clientDir = join(import.meta.dir, "..");
const repo = join(clientDir, "../..");
const dist = join(clientDir, "dist");
/** The only packages the declarations may import from: what a frontend installs with the client. */
const allowed = [...Object.keys(pkg.peerDependencies), ...Object.keys(pkg.dependencies)];

/**
 * Every workspace package's exports as tsconfig paths to its source. Reached through node_modules,
 * the compiler would count them as libraries and the bundle would import them; mapped, they are this
 * program's own files, whose types the bundle inlines.
 */
async function workspacePaths() {
  const paths: Record<string, string[]> = {};
  for (const pattern of root.workspaces) {
    for await (const manifest of new Glob(`${pattern}/package.json`).scan({ cwd: repo })) {
      const { name, exports } = (await Bun.file(join(repo, manifest)).json()) as { name: string; exports?: Record<string, unknown> };
      for (const [subpath, target] of Object.entries(exports ?? {})) {
        if (typeof target === "string" && name !== pkg.name) paths[name + subpath.slice(1)] = [join(repo, dirname(manifest), target)];
      }
    }
  }
  return paths;
}

await rm(dist, { recursive: true, force: true });

const js = await Bun.build({ entrypoints: [join(clientDir, "src/index.ts")], outdir: dist, target: "browser", format: "esm", packages: "external" });
if (!js.success) throw new AggregateError(js.logs, "building dist/index.js failed");

// In the package's node_modules: the repository's tsconfig (and its `types`) must be found from there.
const tsconfig = join(clientDir, "node_modules/.cache/evented-client/tsconfig.json");
await mkdir(dirname(tsconfig), { recursive: true });
await Bun.write(
  tsconfig,
  JSON.stringify({
    extends: join(repo, "tsconfig.json"),
    compilerOptions: { paths: await workspacePaths() },
    include: [],
    files: [join(clientDir, "src/index.ts")],
  }),
);

const [dts] = generateDtsBundle(
  [
    {
      filePath: join(clientDir, "src/index.ts"),
      libraries: { importedLibraries: allowed, allowedTypesLibraries: [] },
      output: { noBanner: true, exportReferencedTypes: false },
    },
  ],
  { preferredConfigPath: tsconfig },
);
const imported = new Set([...dts!.matchAll(/(?:from |import\()["']([^"']+)["']/g)].map((m) => m[1]!));
const stray = [...imported].filter((name) => !allowed.some((a) => name === a || name.startsWith(`${a}/`)));
if (stray.length > 0 || /reference (types|path)=/.test(dts!)) {
  throw new Error(`dist/index.d.ts must import only ${allowed.join(", ")}; it imports ${[...imported].join(", ")}`);
}
await Bun.write(join(dist, "index.d.ts"), dts!);
console.log(`built ${dist}: index.js, index.d.ts (${Math.round(dts!.length / 1024)} KiB, imports ${[...imported].join(", ")})`);

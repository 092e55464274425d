// A frontend outside the workspace installs the packed client and nothing of the server: the client's
// types must then stand alone. Packs @evented/client (its prepack builds dist/), creates a project in a
// temporary folder with its own package.json (the tarball plus the peers at the versions this repo
// pins, installed by `bun install`), typechecks it with tsc (DOM lib, no Bun or Node types, strict)
// and bundles it for the browser.
import { afterAll, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import gateway from "../../../apps/gateway/package.json" with { type: "json" };
import root from "../../../package.json" with { type: "json" };
import client from "../package.json" with { type: "json" };

const clientDir = join(import.meta.dir, "..");
const work = await mkdtemp(join(tmpdir(), "evented-frontend-"));
afterAll(() => rm(work, { recursive: true, force: true }));

/** Runs a command to its end, or kills it after `seconds`: a stuck install fails the test, never hangs it. */
async function run(cmd: string[], cwd: string, seconds: number) {
  const proc = Bun.spawn(cmd, { cwd, stdout: "pipe", stderr: "pipe", timeout: seconds * 1000, env: { ...process.env, NO_COLOR: "1" } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, output: `${stdout}${stderr}`.trim() };
}

/**
 * The frontend's code. Each @ts-expect-error must meet an error: were the client's types `any` (or
 * lost), tsc would report "Unused '@ts-expect-error' directive" and fail.
 */
const MAIN = `import { type Client, createClient } from "@evented/client";

const api: Client = createClient(location.origin);

export async function signUpAndOrder(name: string, email: string): Promise<string> {
  const created = await api.users.post({ name, email }, { headers: { "idempotency-key": crypto.randomUUID() } });
  if (created.error) throw new Error(\`\${created.error.status}\`);
  const userId: string = created.data.id;
  const catalog = await api.products.get();
  const price: number | undefined = catalog.data?.products.find((p) => p.id === "456")?.unit_price;
  void price;
  const placed = await api.orders.post({ user_id: userId, items: [{ product_id: "456", quantity: 2 }] });
  if (!placed.data) throw new Error("no order");
  // @ts-expect-error prices come from the catalog: unit_price is not accepted
  await api.orders.post({ user_id: userId, items: [{ product_id: "456", quantity: 2, unit_price: 1 }] });
  const order = await api.orders({ id: placed.data.id }).get();
  const status: "pending" | "confirmed" | "shipped" | "completed" | "cancelled" | undefined = order.data?.status;
  document.title = \`order \${status}\`;

  // @ts-expect-error wrong type: phone is a string
  await api.users.post({ name, email, phone: 14155550123 });
  // @ts-expect-error wrong field name: \`nme\`
  await api.users.post({ nme: name, email });
  // @ts-expect-error no such route
  await api.catalog.get();
  // @ts-expect-error the path parameter is \`id\`
  await api.orders({ orderId: placed.data.id }).get();
  // @ts-expect-error a user has no \`username\`
  void created.data.username;
  return userId;
}
`;

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "ESNext",
    moduleResolution: "bundler",
    lib: ["DOM", "ESNext"],
    types: [],
    strict: true,
    noEmit: true,
    // Elysia's own declarations name Bun's and Node's types (its server side), which a browser project
    // has not: a frontend skips checking libraries, as Vite's templates do. The client's own
    // declarations are checked without it below.
    skipLibCheck: true,
  },
  include: ["src"],
};

test("a frontend outside the workspace installs the packed client, typechecks with DOM types only, and builds", async () => {
  const packed = await run(["bun", "pm", "pack", "--destination", work, "--quiet"], clientDir, 300);
  expect(packed.code, packed.output).toBe(0);
  const tarball = join(work, `evented-client-${client.version}.tgz`);

  // Only the build: no source of the client, the gateway or core.
  const listed = await run(["tar", "-tzf", tarball], work, 30);
  expect(listed.code, listed.output).toBe(0);
  const files = listed.output.split("\n");
  expect(files).toContain("package/dist/index.js");
  expect(files).toContain("package/dist/index.d.ts");
  expect(files.filter((f) => f !== "package/package.json" && !f.startsWith("package/dist/"))).toEqual([]);
  expect(files.filter((f) => /(?<!\.d)\.ts$/.test(f) || /apps\/|packages\/|src\//.test(f))).toEqual([]);

  const app = join(work, "frontend");
  const versions = {
    "@evented/client": `file:${tarball}`,
    ...client.peerDependencies,
    // Elysia's peers, which its types import.
    "@sinclair/typebox": gateway.dependencies["@sinclair/typebox"],
    "file-type": gateway.dependencies["file-type"],
  };
  await Bun.write(
    join(app, "package.json"),
    JSON.stringify(
      { name: "frontend", private: true, type: "module", dependencies: versions, devDependencies: { typescript: root.devDependencies.typescript } },
      null,
      2,
    ),
  );
  await Bun.write(join(app, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
  await Bun.write(join(app, "src/main.ts"), MAIN);

  const installed = await run(["bun", "install"], app, 300);
  expect(installed.code, installed.output).toBe(0);
  const tsc = [process.execPath, join(app, "node_modules/typescript/bin/tsc"), "--pretty", "false"];

  const checked = await run([...tsc, "-p", "."], app, 300);
  expect(checked.output).toBe("");
  expect(checked.code).toBe(0);

  // The same code with the directives taken out: each line they covered is an error, and nothing in
  // the client's declarations is, even with library checking on.
  const marked = MAIN.split("\n").flatMap((line, i) => (line.includes("// @ts-expect-error") ? [i + 2] : []));
  await Bun.write(join(app, "unchecked/main.ts"), MAIN.replaceAll("// @ts-expect-error", "// expected error:"));
  await Bun.write(
    join(app, "tsconfig.unchecked.json"),
    JSON.stringify({ ...TSCONFIG, compilerOptions: { ...TSCONFIG.compilerOptions, skipLibCheck: false }, include: ["unchecked"] }),
  );
  const unchecked = await run([...tsc, "-p", "tsconfig.unchecked.json"], app, 300);
  const errors = unchecked.output.split("\n").filter((line) => / error TS\d+:/.test(line));
  const lines = new Set(errors.flatMap((e) => e.match(/^unchecked\/main\.ts\((\d+),/)?.[1] ?? []).map(Number));
  expect([...lines].sort((a, b) => a - b)).toEqual(marked);
  expect(errors.filter((e) => e.startsWith("node_modules/@evented/client/"))).toEqual([]);

  const built = await run(["bun", "build", "src/main.ts", "--target", "browser", "--outdir", "dist"], app, 120);
  expect(built.code, built.output).toBe(0);
  const bundle = await readFile(join(app, "dist/main.js"), "utf8");
  expect(bundle).toContain("signUpAndOrder");
}, 900_000);

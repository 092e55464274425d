// `bun run new service` in a copy of this checkout (its files as git sees them, installed from
// bun's cache): the generated service typechecks, passes the checks and its own test, starts on
// port 0 and answers SERVING on grpc.health.v1, the gateway's /ready would check it, its
// Kubernetes manifests pass e2e/k8s.test.ts, the NATS cluster of docker-compose.cluster.yml has it
// (e2e/containers.test.ts, e2e/nats-routes.test.ts), and
// `bun run new remove-service` leaves the copy exactly as it was.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createDatabase, NATS_URL, ROOT, uniqueStream } from "../packages/testing/src/index.ts";
import { appNames } from "../system.ts";

setDefaultTimeout(240_000);

const copy = mkdtempSync(join(tmpdir(), "evented-new-"));
// inventory, as in the README, unless this checkout has made it already.
const n = ["inventory", "stock", "catalog"].find((name) => !appNames().includes(name))!;
const N = n.toUpperCase();

/** Runs `cmd` in the copy; fails with its output unless it exits 0. Bounded by `timeoutMs`. */
async function run(cmd: string[], env: Record<string, string> = {}, timeoutMs = 180_000): Promise<string> {
  const proc = Bun.spawn(cmd, { cwd: copy, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited with ${code}:\n${out}\n${err}`);
  return out + err;
}

beforeAll(async () => {
  const files = Bun.spawnSync(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT }).stdout.toString().split("\0");
  for (const file of files.filter((f) => f && existsSync(join(ROOT, f)))) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(ROOT, file), join(copy, file), { errorOnExist: false, force: true, dereference: false });
  }
  const git = ["-c", "user.name=test", "-c", "user.email=test@example.com"];
  await run(["git", "init", "-q"]);
  await run(["git", ...git, "add", "-A"]);
  await run(["git", ...git, "commit", "-qm", "copy"]);
  await run(["bun", "install", "--frozen-lockfile"]);
});

afterAll(() => rmSync(copy, { recursive: true, force: true }));

test("new service refuses a name that would overwrite the system's files or collide with its infrastructure, and writes nothing", async () => {
  for (const [name, why] of [
    ["common", "would overwrite deploy/env/common.env"],
    ["kustomization", "would overwrite deploy/k8s/base/kustomization.yaml"],
    ["postgres", "taken by the infrastructure"],
    ["users", "exists already"],
    ["core", "the name of a workspace"],
    ["null", "reads as a boolean or null in YAML"],
  ]) {
    const made = Bun.spawnSync(["bun", "run", "new", "service", name!], { cwd: copy, stdout: "pipe", stderr: "pipe" });
    expect({ name, code: made.exitCode, said: made.stderr.toString().includes(why!) }).toEqual({ name, code: 64, said: true });
  }
  expect(await run(["git", "status", "--porcelain"])).toBe("");
});

test(`new service ${n}: a service that typechecks, migrates, passes its test and serves grpc.health.v1`, async () => {
  await run(["bun", "run", "new", "service", n]);
  await run(["bun", "run", "typecheck"]);
  await run(["bun", "run", "lint"]); // the generated code is formatted and lint-clean as written
  expect(await run(["bun", "run", "db:check"])).toContain("migrations match every schema");
  expect(await run(["bun", "run", "proto:check"])).toContain("generated code is up to date");
  expect(await run(["bun", "test", `apps/${n}`])).toMatch(/\b4 pass\b[\s\S]*\b0 fail\b/);

  // The gateway's /ready checks it, at <N>_SERVICE_URL.
  const urls = await run([
    "bun",
    "-e",
    `import { readConfig } from "./apps/gateway/src/config.ts"; console.log(JSON.stringify(readConfig({ ${N}_SERVICE_URL: "h:1" }).serviceUrls))`,
  ]);
  expect(JSON.parse(urls)).toMatchObject({ user: "127.0.0.1:50051", [n]: "h:1" });

  // Kubernetes runs it too: its Deployment, role, database, policies and images (e2e/k8s.test.ts
  // reads the apps from system.ts, so it checks the new one as it checks the others).
  // (It skips itself where kubectl is missing: scripts/test-prerequisites.sh installs it where apt has it.)
  if (Bun.which("kubectl")) expect(await run(["bun", "test", "e2e/k8s.test.ts"])).toMatch(/\b8 pass\b[\s\S]*\b0 fail\b/);
  // So does the 3-node NATS cluster: each node has its password, and it is on all three as its own
  // user (both tests read the apps from system.ts and the passwords from deploy/nats/nats-server.conf;
  // docker-compose config only, no engine, and nats-server runs the nodes).
  const cluster = ["e2e/containers.test.ts", "e2e/nats-routes.test.ts", "-t", "docker-compose.cluster.yml"];
  expect(await run(["bun", "test", ...cluster])).toMatch(/\b2 pass\b[\s\S]*\b0 fail\b/);

  // It starts on a free port (the copy's own harness reads which) and reports SERVING.
  const db = await createDatabase(`new_${n}`);
  const stream = uniqueStream();
  try {
    const env = { [`${N}_DB_CONN`]: db.url, NATS_URL, NATS_STREAM: stream.stream, NATS_SUBJECT_PREFIX: stream.prefix };
    const script = `import { startApp } from "./packages/testing/src/index.ts";
      const app = await startApp("${n}", { ${N}_PORT: "0", ...${JSON.stringify(env)} });
      const check = Bun.spawnSync(["bun", "scripts/healthcheck.ts", String(app.port)]);
      // Its own methods need a token: one without is refused before the service is asked.
      const { ${n}V1 } = await import("./packages/proto/src/index.ts");
      const { credentials } = await import("@grpc/grpc-js");
      const client = new ${n}V1.${n.charAt(0).toUpperCase() + n.slice(1)}ServiceClient(\`127.0.0.1:\${app.port}\`, credentials.createInsecure());
      const code = await new Promise((resolve) => client.getItem({ id: crypto.randomUUID() }, (err) => resolve(err?.code)));
      client.close();
      app.proc.kill("SIGTERM");
      await app.proc.exited;
      console.log(check.stdout.toString(), check.exitCode, "without a token:", code);`;
    // 16: UNAUTHENTICATED
    expect(await run(["bun", "-e", script], {}, 60_000)).toMatch(/SERVING\s+0 without a token: 16/);
  } finally {
    await db.drop();
    await stream.remove().catch(() => {});
  }

  await run(["bun", "run", "new", "remove-service", n]);
  expect(await run(["git", "status", "--porcelain"])).toBe("");
});

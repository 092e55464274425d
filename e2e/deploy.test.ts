// What can be checked of the Docker deployment without a Docker engine: docker-compose.yml as
// docker-compose reads it, and each app's image built the Docker way (e2e/dockerfile.ts) and
// started with its compose environment, only hosts, ports, databases and stream swapped for this
// machine's. docker-compose must be installed (.ci/run installs it): without it this test fails.
// The apps, their databases and what each needs come from system.ts: the compose file and the
// Dockerfiles must match it.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, freePort, NATS_URL, ROOT, uniqueStream, waitFor } from "@evented/testing";
import { PRODUCTION_RUNTIME_ENV } from "../scripts/runtime-env.ts";
import { type AppName, type AppSpec, dbConnVar, paths, APPS as SYSTEM, serviceUrlVar } from "../system.ts";
import { composeSecrets, SECRETS } from "./compose-secrets.ts";
import { build } from "./dockerfile.ts";

setDefaultTimeout(30_000);

const SPECS: readonly AppSpec[] = SYSTEM;
const APPS = SYSTEM.map((a) => a.name);
type App = AppName;
const spec = (app: string) => SPECS.find((a) => a.name === app)!;

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  env_file?: (string | { path: string })[];
  ports?: { published: number; target: number }[];
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  volumes?: string[];
  command?: string[];
  container_name?: string;
}

async function composeConfig(): Promise<{ services: Record<string, ComposeService> }> {
  const bin = Bun.which("docker-compose");
  expect(bin, "docker-compose is not installed: apt-get install docker-compose (.ci/run does)").toBeTruthy();
  // The secrets a .env gives it (bun run compose:env), here for this run only.
  const secrets = await composeSecrets();
  const proc = Bun.spawn([bin!, "-f", "docker-compose.yml", "config"], {
    cwd: ROOT,
    env: { ...process.env, ...secrets },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 30_000,
  });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  expect(code, err).toBe(0);
  return Bun.YAML.parse(out) as { services: Record<string, ComposeService> };
}

const compose = await composeConfig();
const workdir = mkdtempSync(join(tmpdir(), "evented-images-"));
const cleanups: (() => Promise<unknown> | unknown)[] = [() => rmSync(workdir, { recursive: true, force: true })];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe("docker-compose.yml", () => {
  test("runs PostgreSQL with a database and role per service and NATS with JetStream and a user per service, both on volumes", () => {
    const { postgres, nats } = compose.services;
    expect(postgres?.volumes).toContainEqual(expect.stringMatching(/:\/var\/lib\/postgresql\/data/));
    expect(postgres?.volumes).toContainEqual(expect.stringMatching(/deploy\/postgres:\/docker-entrypoint-initdb\.d/));
    const init = readFileSync(join(ROOT, "deploy/postgres/service-databases.sh"), "utf8");
    for (const { name, database } of SPECS) {
      if (!database) continue;
      expect(init).toContain(`create ${name}_service ${database.name} `);
      expect(compose.services[name]?.environment?.[dbConnVar(name)]).toMatch(
        new RegExp(`^postgres://${name}_service:p[0-9a-f]{32}@postgres:5432/${database.name}$`),
      );
      expect(compose.services[name]?.environment?.NATS_URL).toMatch(new RegExp(`^nats://${name}:p[0-9a-f]{32}@nats:4222$`));
    }
    expect(nats?.command).toContain("-js");
    expect(nats?.command).toEqual(expect.arrayContaining(["-c", "/etc/nats/nats-server.conf"]));
    expect(nats?.volumes).toContainEqual(expect.stringMatching(/:\/data/));
  });

  test("commits no secret: every password comes from .env, and .env is ignored by git and Docker", async () => {
    const text =
      ["docker-compose.yml", "docker-compose.cluster.yml"].map((f) => readFileSync(join(ROOT, f), "utf8")).join("\n") +
      readdirSync(join(ROOT, "deploy/env"))
        .map((f) => readFileSync(join(ROOT, "deploy/env", f), "utf8"))
        .join("\n");
    expect(text).not.toMatch(/PASSWORD:\s+[^$\s]|:\/\/[^:/@\s]+:[^$@\s][^@\s]*@/);
    expect(SECRETS.length).toBeGreaterThanOrEqual(8);
    for (const name of SECRETS) expect(text).toContain(`\${${name}:?`);
    const ignored = Bun.spawnSync(["git", "check-ignore", "-q", ".env"], { cwd: ROOT });
    expect(ignored.exitCode).toBe(0);
    expect(readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n")).toContain(".env");
  });

  test("builds each app from its Dockerfile, starts it once what it needs is healthy, restarts it", () => {
    expect(Object.keys(compose.services).sort()).toEqual([...APPS, "nats", "postgres"].sort());
    for (const app of SPECS) {
      const service = compose.services[app.name]!;
      expect(service.build?.dockerfile).toBe(paths(app.name).dockerfile);
      expect(service.restart).toBe("unless-stopped");
      for (const dependency of Object.values(service.depends_on ?? {})) expect(dependency.condition).toBe("service_healthy");
      const needs = [...(app.database ? ["postgres"] : []), ...(app.dependsOn.nats ? ["nats"] : []), ...app.dependsOn.services];
      expect(Object.keys(service.depends_on ?? {}).sort(), app.name).toEqual(needs.sort());
    }
  });

  test("gives each app its port, its own database and the addresses of what it calls, as system.ts says", () => {
    for (const app of SPECS) {
      const env = compose.services[app.name]!.environment ?? {};
      expect(env[app.port.env], app.name).toBe(String(app.port.default));
      if (app.database) expect(new URL(env[dbConnVar(app.name)]!).pathname).toBe(`/${app.database.name}`);
      for (const dep of app.dependsOn.services) expect(env[serviceUrlVar(dep)], app.name).toBe(`${dep}:${spec(dep).port.default}`);
    }
  });

  test("publishes only the gateway, on 8080, and names no container, so `--scale order=3` works", () => {
    const published = Object.entries(compose.services).flatMap(([name, s]) => (s.ports ?? []).map((p) => [name, p.published]));
    expect(published).toEqual([["gateway", 8080]]);
    for (const service of Object.values(compose.services)) expect(service.container_name).toBeUndefined();
  });
});

describe("each app's image, built the Docker way and started with its compose environment", () => {
  const ports = Object.fromEntries(APPS.map((app) => [app, freePort()])) as Record<App, number>;
  const stream = uniqueStream();
  cleanups.push(() => stream.remove().catch(() => {}));

  /** The compose environment of `app`, pointed at this machine. */
  async function localEnv(app: App): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(compose.services[app]!.environment ?? {})) {
      const service = new RegExp(`^(${APPS.map((a) => a.toUpperCase()).join("|")})_(PORT|SERVICE_URL|DB_CONN)$`).exec(name);
      const target = service?.[1]?.toLowerCase() as App | undefined;
      if (target && service?.[2] === "PORT") env[name] = String(ports[target]);
      else if (target && service?.[2] === "SERVICE_URL") env[name] = `127.0.0.1:${ports[target]}`;
      else if (target && service?.[2] === "DB_CONN") {
        const db = await createDatabase(target);
        cleanups.push(() => db.drop());
        env[name] = db.url;
      } else if (name === "NATS_URL") env[name] = NATS_URL;
      else if (name === "NATS_STREAM") env[name] = stream.stream;
      else if (name === "NATS_SUBJECT_PREFIX") env[name] = stream.prefix;
      else env[name] = value;
    }
    return env;
  }

  for (const app of APPS) {
    test(`${app}: installs, starts, and passes its HEALTHCHECK`, async () => {
      const image = await build(ROOT, `apps/${app}/Dockerfile`, join(workdir, app));
      expect(image.user).not.toBe("root");
      expect(image.env.NODE_ENV).toBe("production");
      expect(image.env).toMatchObject(PRODUCTION_RUNTIME_ENV);
      if (spec(app).database) expect(image.copied).toContain(paths(app).migrations);
      // It runs its bundle (scripts/build.ts), not its sources, which the image does not hold.
      expect(image.cmd).toEqual(["bun", paths(app).bundle]);
      expect(existsSync(join(image.dir, paths(app).entry))).toBe(false);
      expect(image.exposed).toEqual([spec(app).port.default]);

      const env = { PATH: process.env.PATH ?? "", HOME: image.dir, ...image.env, ...(await localEnv(app)) };
      const proc = Bun.spawn(image.cmd, { cwd: image.dir, env, stdout: "pipe", stderr: "pipe" });
      cleanups.push(async () => {
        proc.kill("SIGTERM");
        await Promise.race([proc.exited, Bun.sleep(10_000).then(() => proc.kill("SIGKILL"))]);
      });
      const logs: string[] = [];
      for (const out of [proc.stdout, proc.stderr])
        void (async () => {
          for await (const c of out) logs.push(new TextDecoder().decode(c));
        })();

      await waitFor(
        `${app} to listen`,
        () => {
          if (proc.exitCode !== null) throw new Error(`${app} exited with ${proc.exitCode}:\n${logs.join("")}`);
          return /listening/.test(logs.join(""));
        },
        { timeoutMs: 60_000 },
      );
      // JSON logs, as in production
      expect(JSON.parse(logs.join("").split("\n")[0]!)).toHaveProperty("level");

      const health = await waitFor(
        `${app}'s HEALTHCHECK to pass`,
        async () => {
          const check = Bun.spawn(["sh", "-c", image.healthcheck], { cwd: image.dir, env, stdout: "pipe", stderr: "pipe", timeout: 10_000 });
          const [code, out] = await Promise.all([check.exited, new Response(check.stdout).text()]);
          if (code !== 0) throw new Error(`exit ${code}: ${out}`);
          return { code };
        },
        { timeoutMs: 30_000, intervalMs: 500 },
      );
      expect(health.code).toBe(0);
      if (app === "gateway") await servesTheWebApp(image.dir, ports.gateway);
    }, 180_000);
  }
});

/** The gateway's image serves the web app from its build, and holds neither its sources nor React. */
async function servesTheWebApp(dir: string, port: number) {
  const page = await fetch(`http://127.0.0.1:${port}/`);
  expect(page.status).toBe(200);
  const html = await page.text();
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  expect(script).toBeDefined();
  const asset = await fetch(`http://127.0.0.1:${port}${script}`);
  expect({ status: asset.status, type: asset.headers.get("content-type") }).toEqual({ status: 200, type: expect.stringContaining("javascript") });
  expect(existsSync(join(dir, "web/index.html"))).toBe(true);
  expect(existsSync(join(dir, "apps/web/src"))).toBe(false);
  const installed = readdirSync(join(dir, "node_modules/.bun"));
  expect(installed.filter((name) => /^react(-dom)?@/.test(name))).toEqual([]);
}

// A Docker engine of the project's own on this machine, and the base images the Dockerfiles and
// docker-compose.yml name, built locally (no registry is reachable here).
//   bun scripts/container-engine.ts start    start the engine (prints DOCKER_HOST) and the stand-ins
//   bun scripts/container-engine.ts stop     stop it
// Debian's dockerd, as root, with its own data root (kept: it caches the stand-ins and build layers
// between runs), exec root, pid file, socket and bridge; every network it makes stays on this machine.
// The stand-ins (deploy/engine/*.Dockerfile) sit on a `debootstrap --variant=minbase bookworm` root
// file system from the machine's Debian mirror; each is rebuilt only when its files change.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const STATE = process.env.EVENTED_ENGINE_DIR ?? "/var/lib/evented-engine";
const RUN = "/run/evented-engine";
const SOCKET = join(RUN, "docker.sock");
const BRIDGE = { name: "evented0", address: "10.231.0.1/24", pools: "base=10.232.0.0/16,size=24" };
const DOCKERD = "/usr/sbin/dockerd";
const DOCKER = existsSync("/usr/bin/docker") ? "/usr/bin/docker" : (Bun.which("docker") ?? "docker");
const DEBIAN_MIRROR = process.env.DEBIAN_MIRROR ?? debianMirror();

/** What names which stand-in, built from which file of deploy/engine. */
export const STAND_INS = [
  { names: ["oven/bun:1.4.4", "oven/bun:1.4.4-slim"], dockerfile: "bun.Dockerfile" },
  { names: ["postgres:17"], dockerfile: "postgres.Dockerfile", files: ["postgres-entrypoint.sh"] },
  { names: ["nats:2.10-alpine"], dockerfile: "nats.Dockerfile", files: ["nats-entrypoint.sh"] },
] as const;

export interface Engine {
  /** Environment for docker and docker-compose: DOCKER_HOST, the classic builder. */
  env: Record<string, string>;
  docker(args: string[], options?: { input?: string; allowFail?: boolean }): Promise<string>;
  stop(): Promise<void>;
}

/** Why no engine can start on this machine, or undefined if one can. */
export function cannotStart(): string | undefined {
  if (process.platform !== "linux") return "the container engine runs on Linux only";
  if (process.getuid?.() !== 0) return "starting dockerd needs root";
  if (!existsSync(DOCKERD)) return `${DOCKERD} is not installed (apt-get install docker.io)`;
  if (!Bun.which("debootstrap") && !existsSync("/usr/sbin/debootstrap")) return "debootstrap is not installed";
  return undefined;
}

async function run(
  cmd: string[],
  { input, allowFail = false, env }: { input?: string; allowFail?: boolean; env?: Record<string, string> } = {},
): Promise<string> {
  const proc = Bun.spawn(cmd, {
    stdin: input === undefined ? "ignore" : new TextEncoder().encode(input),
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  if (code !== 0 && !allowFail) throw new Error(`${cmd.join(" ")} exited ${code}:\n${err.slice(-4000)}${out.slice(-2000)}`);
  return out;
}

export async function startEngine(): Promise<Engine> {
  const running = runningPid();
  if (running)
    throw new Error(
      `the project's engine is already running (dockerd pid ${running}, another run's?): wait for it, or \`bun scripts/container-engine.ts stop\``,
    );
  mkdirSync(RUN, { recursive: true });
  mkdirSync(STATE, { recursive: true });
  const env = { DOCKER_HOST: `unix://${SOCKET}`, DOCKER_BUILDKIT: "0", COMPOSE_DOCKER_CLI_BUILD: "0" };
  const docker = (args: string[], options: { input?: string; allowFail?: boolean } = {}) => run([DOCKER, ...args], { ...options, env });

  // A bridge of our own (dockerd's default docker0 could be another engine's).
  if (!(await run(["ip", "link", "show", BRIDGE.name], { allowFail: true })).includes(BRIDGE.name)) {
    await run(["ip", "link", "add", BRIDGE.name, "type", "bridge"]);
    await run(["ip", "addr", "add", BRIDGE.address, "dev", BRIDGE.name]);
  }
  await run(["ip", "link", "set", BRIDGE.name, "up"]);

  const log = Bun.file(join(STATE, "dockerd.log"));
  const proc = Bun.spawn(
    [
      DOCKERD,
      "--data-root",
      join(STATE, "data"),
      "--exec-root",
      join(RUN, "exec"),
      "--pidfile",
      join(RUN, "dockerd.pid"),
      "-H",
      `unix://${SOCKET}`,
      "--bridge",
      BRIDGE.name,
      "--default-address-pool",
      BRIDGE.pools,
      "--storage-driver",
      "overlay2",
    ],
    { stdout: log, stderr: log },
  );
  const deadline = Date.now() + 60_000;
  while ((await docker(["version", "--format", "{{.Server.Version}}"], { allowFail: true })).trim() === "") {
    if (proc.exitCode !== null) throw new Error(`dockerd exited ${proc.exitCode}: ${readFileSync(join(STATE, "dockerd.log"), "utf8").slice(-2000)}`);
    if (Date.now() > deadline) throw new Error("dockerd did not answer within 60 s");
    await Bun.sleep(250);
  }
  return {
    env,
    docker,
    async stop() {
      proc.kill("SIGTERM");
      const killer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
      await proc.exited;
      clearTimeout(killer);
      await run(["ip", "link", "delete", BRIDGE.name], { allowFail: true });
    },
  };
}

/** Builds each stand-in base image that is missing or older than its files; returns what it built. */
export async function ensureStandIns(engine: Engine): Promise<string[]> {
  const built: string[] = [];
  const dir = join(ROOT, "deploy/engine");
  const bun = process.execPath;
  for (const standIn of STAND_INS) {
    const files = [standIn.dockerfile, ...("files" in standIn ? standIn.files : [])];
    const hash = createHash("sha256");
    for (const f of files) hash.update(readFileSync(join(dir, f)));
    if (standIn.dockerfile === "bun.Dockerfile") hash.update(Bun.version).update(readFileSync("/etc/ssl/certs/ca-certificates.crt"));
    const version = hash.digest("hex").slice(0, 16);
    const have = await engine.docker(["image", "inspect", "--format", '{{index .Config.Labels "evented.stand-in"}}', standIn.names[0]], { allowFail: true });
    if (have.trim() === version) continue;

    await ensureDebian(engine);
    const context = mkdtempSync(join(STATE, "context-"));
    try {
      for (const f of files) copyFileSync(join(dir, f), join(context, f));
      if (standIn.dockerfile === "bun.Dockerfile") {
        copyFileSync(bun, join(context, "bun"));
        copyFileSync("/etc/ssl/certs/ca-certificates.crt", join(context, "ca-certificates.crt"));
      }
      await engine.docker([
        "build",
        "-q",
        "--label",
        `evented.stand-in=${version}`,
        "-f",
        join(context, standIn.dockerfile),
        ...standIn.names.flatMap((n) => ["-t", n]),
        context,
      ]);
      built.push(...standIn.names);
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  }
  return built;
}

const DEBIAN = "evented-stand-in/debian:bookworm";

/** The Debian root file system every stand-in starts from: debootstrapped once, then imported. */
async function ensureDebian(engine: Engine): Promise<void> {
  if ((await engine.docker(["image", "inspect", "--format", "{{.Id}}", DEBIAN], { allowFail: true })).trim()) return;
  const rootfs = mkdtempSync(join(STATE, "rootfs-"));
  try {
    await run(["debootstrap", "--variant=minbase", "bookworm", rootfs, DEBIAN_MIRROR]);
    rmSync(join(rootfs, "var/cache/apt/archives"), { recursive: true, force: true });
    mkdirSync(join(rootfs, "var/cache/apt/archives/partial"), { recursive: true });
    const tar = Bun.spawn(["tar", "-C", rootfs, "-c", "."], { stdout: "pipe" });
    const imp = Bun.spawn([DOCKER, "import", "-", DEBIAN], { stdin: tar.stdout, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...engine.env } });
    const [code, err] = await Promise.all([imp.exited, new Response(imp.stderr).text(), tar.exited]);
    if (code !== 0) throw new Error(`docker import failed: ${err}`);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

/** The pid of a dockerd started with our pid file that is still alive, else 0. */
function runningPid(): number {
  const file = join(RUN, "dockerd.pid");
  const pid = existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : 0;
  if (!pid) return 0;
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("dockerd") ? pid : 0;
  } catch {
    return 0;
  }
}

/** The first Debian mirror this machine's apt uses (deb822 or one-line sources). */
function debianMirror(): string {
  for (const file of ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"]) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const uri = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\b/m.exec(text)?.[1];
    if (uri) return uri;
  }
  return "http://deb.debian.org/debian";
}

if (import.meta.main) {
  const command = process.argv[2];
  if (command === "start") {
    const why = cannotStart();
    if (why) throw new Error(why);
    const engine = await startEngine();
    console.log(`built: ${(await ensureStandIns(engine)).join(", ") || "nothing (stand-ins up to date)"}`);
    console.log(`export DOCKER_HOST=${engine.env.DOCKER_HOST} DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0`);
    process.exit(0); // dockerd keeps running; `stop` ends it
  } else if (command === "stop") {
    const pid = runningPid();
    if (pid) process.kill(pid, "SIGTERM");
    for (let i = 0; i < 120 && runningPid(); i++) await Bun.sleep(250);
    await run(["ip", "link", "delete", BRIDGE.name], { allowFail: true });
  } else {
    console.error("usage: bun scripts/container-engine.ts start|stop");
    process.exit(64);
  }
}

// A PostgreSQL server of our own, from Debian's binaries (/usr/lib/postgresql/<major>/bin), with
// pg_stat_statements preloaded (the shared server on :5432 does not load it): initdb into a
// temporary folder, pg_ctl start on a free port as the postgres user, and stop + remove at the end.
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@evented/testing";

/** The newest installed server's bin folder, or undefined. */
export function postgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  const majors = (() => {
    try {
      return readdirSync(root).filter((d) => /^\d+$/.test(d));
    } catch {
      return [];
    }
  })().sort((a, b) => Number(b) - Number(a));
  for (const major of majors) if (Bun.file(join(root, major, "bin", "pg_ctl")).size > 0) return join(root, major, "bin");
  return undefined;
}

async function run(cmd: string[], what: string): Promise<void> {
  // initdb and pg_ctl refuse to run as root: as root, run them as the postgres user.
  const asPostgres = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
  const proc = Bun.spawn(asPostgres, { stdout: "pipe", stderr: "pipe", cwd: "/" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${what} exited with ${code}:\n${out}\n${err}`);
}

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  stop(): Promise<void>;
}

export async function startPrivatePostgres(settings: Record<string, string> = {}): Promise<PrivatePostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)");
  const dir = mkdtempSync(join(tmpdir(), "bench-pg-"));
  if (process.getuid?.() === 0) {
    const { uid, gid } = userIds("postgres");
    chownSync(dir, uid, gid);
  }
  const data = join(dir, "data");
  const port = freePort();
  const options = {
    port: String(port),
    listen_addresses: "127.0.0.1",
    unix_socket_directories: dir,
    shared_preload_libraries: "pg_stat_statements",
    "pg_stat_statements.track": "all",
    fsync: "off",
    max_connections: "200",
    ...settings,
  };
  const stop = async () => {
    await run([join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop"], "pg_ctl stop").catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run([join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"], "initdb");
    const o = Object.entries(options)
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(" ");
    await run([join(bin, "pg_ctl"), "-D", data, "-l", join(dir, "log"), "-o", o, "-w", "-t", "60", "start"], "pg_ctl start");
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
}

function userIds(name: string): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no user ${name} (Debian's postgresql package creates it)`);
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

// The database's own limit for the system's SQL: pgbench with bench/sql/*.sql, prepared statements.
import { ROOT } from "@evented/testing";
import { round, type Usage } from "./sampler.ts";

export interface PgbenchResult {
  script: string;
  clients: number;
  tps: number;
  latencyAvgMs: number;
  failed: number;
  /** CPU and RSS of pgbench ("load") and of the PostgreSQL backends serving it. */
  processes?: Record<string, Usage>;
}

/** `pgbench -n -M prepared -c16 -j2 -T durationS -f script` against `dbUrl` with `-D` variables. */
export function pgbench(
  dbUrl: string,
  script: string,
  vars: Record<string, string>,
  durationS: number,
  clients = 16,
): { pid: number; result: Promise<PgbenchResult> } {
  const url = new URL(dbUrl);
  const cmd = [
    "pgbench",
    "-n",
    "-M",
    "prepared",
    `-c${clients}`,
    "-j2",
    `-T${durationS}`,
    "-h",
    url.hostname,
    "-p",
    url.port || "5432",
    "-U",
    url.username || "postgres",
    "-f",
    `bench/sql/${script}`,
    ...Object.entries(vars).flatMap(([k, v]) => ["-D", `${k}=${v}`]),
    decodeURIComponent(url.pathname.slice(1)),
  ];
  const proc = Bun.spawn(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const result = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]).then(([stdout, stderr, code]) => {
    if (code !== 0) throw new Error(`pgbench ${script} exited with ${code}:\n${stdout}\n${stderr}`);
    return parsePgbench(script, clients, stdout);
  });
  return { pid: proc.pid, result };
}

export function parsePgbench(script: string, clients: number, stdout: string): PgbenchResult {
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
  if (!Number.isFinite(tps)) throw new Error(`pgbench printed no tps:\n${stdout}`);
  return {
    script,
    clients,
    tps: round(tps),
    latencyAvgMs: round(Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1] ?? Number.NaN), 3),
    failed: Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0),
  };
}

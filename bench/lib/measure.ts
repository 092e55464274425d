// One measured run: a load generator process, sampled together with the system's processes.
import { PG_URL } from "@evented/testing";
import postgres from "postgres";
import type { EventLatency } from "./events.ts";
import type { Load, LoadResult } from "./load.ts";
import type { Run, Scenario } from "./results.ts";
import { findPids, type PidSource, startSampler } from "./sampler.ts";
import { APPS, type BenchSystem } from "./system.ts";

/**
 * The pids of the PostgreSQL backends serving `databases` (but not the bench's own queries),
 * refreshed every second: pools open and close connections during a run.
 */
export async function backendTracker(databases: string[]) {
  const sql = postgres(PG_URL, { max: 1, onnotice: () => {}, connection: { application_name: "bench" } });
  let pids: number[] = [];
  const refresh = async () => {
    const rows = await sql<{ pid: number }[]>`
      select pid from pg_stat_activity where datname = any(${databases}) and application_name <> 'bench'`;
    pids = rows.map((r) => r.pid);
  };
  await refresh();
  const timer = setInterval(() => void refresh().catch(() => {}), 1000);
  return {
    pids: () => pids,
    async close() {
      clearInterval(timer);
      await sql.end();
    },
  };
}

export const sharedNatsPids = () => findPids((cmd) => /nats-server\b/.test(cmd) && /-p 4222\b/.test(cmd));

/** What a run samples: each app, the PostgreSQL backends of the run's databases, the shared nats-server. */
export async function systemGroups(system: BenchSystem, postgresPids: () => number[]): Promise<Record<string, PidSource>> {
  const nats = await sharedNatsPids();
  const apps = Object.fromEntries(APPS.map((name) => [name, system.apps[name].proc.pid]));
  return {
    ...apps,
    postgres: postgresPids,
    "nats (shared)": () => nats,
  };
}

/**
 * Runs `load`, sampling `groups` and the generator itself ("load"); `after` (the wait for the
 * run's events) runs before the sampler stops, so the work the requests left behind counts too.
 */
export async function measure(
  scenario: Scenario,
  concurrency: number,
  load: Load,
  groups: Record<string, PidSource>,
  after?: () => Promise<EventLatency | undefined>,
): Promise<Run> {
  const sampler = startSampler({ ...groups, load: load.pid });
  try {
    const { reads: _r, worstBySecond: _w, ...result } = (await load.result) as LoadResult & { reads?: unknown; worstBySecond?: unknown };
    const events = await after?.();
    return { scenario, concurrency, ...result, ...(events && { events }), processes: await sampler.stop() };
  } catch (err) {
    await sampler.stop();
    throw err;
  }
}

export function describe(r: Run): string {
  const ev = r.events ? `  events p50 ${r.events.p50Ms} ms p99 ${r.events.p99Ms} ms, ${r.events.lost} lost of ${r.events.events}` : "";
  const errors = r.errors.socket + r.errors.non2xx;
  const load = r.concurrency === 0 ? "open" : `c=${String(r.concurrency).padEnd(4)}`;
  return `${r.scenario.padEnd(26)} ${load.padEnd(6)} ${String(r.rps).padStart(8)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  max ${r.maxMs} ms  errors ${errors}${ev}`;
}

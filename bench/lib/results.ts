// The shape of a bench run's results, and the ratios and targets computed from them.

import { appNames } from "../../system.ts";
import type { EventLatency } from "./events.ts";
import type { LoadResult } from "./load.ts";
import type { PgbenchResult } from "./pgbench.ts";
import type { Usage } from "./sampler.ts";

export const SCENARIOS = ["GET /users/{id}", "POST /users", "POST /orders", "POST /orders (many users)", "mixed 80/20"] as const;
export const BASELINES = ["Elysia GET /hello", "Elysia POST (validated)", "gRPC GetUser direct", "gRPC GetUser, bare server"] as const;
export type Scenario = (typeof SCENARIOS)[number] | (typeof BASELINES)[number];

export interface Run extends LoadResult {
  scenario: Scenario;
  concurrency: number;
  /** Per process (the apps, the load generator, our PostgreSQL backends, the shared nats-server). */
  processes: Record<string, Usage>;
  /** Order (and, for POST /users, user) events: commit to stored notification. */
  events?: EventLatency;
}

/** An open-loop run (bench/open-loop.ts): latencies from each request's intended start. */
export interface PacedRun extends Run {
  targetRps: number;
  /** Worst latency of the requests due in each second, ms. */
  worstBySecond: number[];
}

/** The notification worker alone: events published straight into the stream. */
export interface WorkerRun {
  events: number;
  /** Events with a notification at the end of the (bounded) wait. */
  notified: number;
  /** First publish to the last notification stored. */
  workerEventsPerS: number;
  /** A bare JetStream consumer fetching and acking the same messages. */
  rawConsumeAckPerS: number;
  /** pgbench of the worker's statements for one OrderCreated (bench/sql/worker-order-created.sql). */
  sqlFloorPerS?: number;
  processes: Record<string, Usage>;
}

export interface Results {
  mode: "quick" | "full";
  startedAt: string;
  durationS: number;
  /** stolenPercent: the share of the machine's CPU time the hypervisor gave other guests during the run. */
  machine: { cpus: number; bun: string; postgres: string; wrk: string; stolenPercent?: number };
  settings: { concurrencies: number[]; runS: number; warmupS: number };
  runs: Run[];
  /** Open loop over many users: 80% of the best many-user POST /orders rate, sustained. */
  sustained?: PacedRun;
  /** Open loop over many users at a fixed 100 orders/s. */
  paced?: PacedRun;
  /** Open loop at 100 orders/s from the moment a restarted system's /ready first answers 200. */
  ready?: PacedRun & { readyAfterMs: number };
  worker?: WorkerRun;
  pgbench: PgbenchResult[];
  /** Warnings or errors the apps logged during the whole run (LOG_LEVEL=warn): a clean run has 0. */
  appWarnings: Record<string, number>;
}

export interface Ratio {
  scenario: Scenario;
  against: string;
  concurrency: number | "best";
  ratio: number;
}

export interface Target {
  name: string;
  value: string;
  goal: string;
  met: boolean;
}

const best = (runs: Run[], scenario: Scenario) => Math.max(0, ...runs.filter((r) => r.scenario === scenario).map((r) => r.rps));
const at = (runs: Run[], scenario: Scenario, c: number) => runs.find((r) => r.scenario === scenario && r.concurrency === c);
const r3 = (n: number) => Math.round(n * 1000) / 1000;

/** Each system result against the baseline for the same work, at the same concurrency, and best against best. */
export function ratios(results: Results): Ratio[] {
  const pairs: [Scenario, Scenario][] = [
    ["GET /users/{id}", "gRPC GetUser direct"],
    ["GET /users/{id}", "gRPC GetUser, bare server"],
    ["GET /users/{id}", "Elysia GET /hello"],
    ["POST /users", "Elysia POST (validated)"],
    ["POST /orders", "Elysia POST (validated)"],
  ];
  const out: Ratio[] = [];
  for (const [scenario, against] of pairs) {
    for (const c of results.settings.concurrencies) {
      const a = at(results.runs, scenario, c);
      const b = at(results.runs, against, c);
      if (a && b && b.rps > 0) out.push({ scenario, against, concurrency: c, ratio: r3(a.rps / b.rps) });
    }
    const bb = best(results.runs, against);
    if (bb > 0) out.push({ scenario, against, concurrency: "best", ratio: r3(best(results.runs, scenario) / bb) });
  }
  const pgOrders = results.pgbench.find((p) => p.script === ORDER_ALL_SQL);
  if (pgOrders?.tps)
    for (const scenario of ["POST /orders", "POST /orders (many users)"] as const)
      out.push({ scenario, against: `pgbench ${ORDER_ALL_SQL} (c16)`, concurrency: "best", ratio: r3(best(results.runs, scenario) / pgOrders.tps) });
  const pgUsers = results.pgbench.find((p) => p.script === "user-all.sql");
  if (pgUsers?.tps)
    out.push({
      scenario: "POST /users",
      against: "pgbench user-all.sql (c16)",
      concurrency: "best",
      ratio: r3(best(results.runs, "POST /users") / pgUsers.tps),
    });
  const pgGet = results.pgbench.find((p) => p.script === "get-user.sql");
  if (pgGet?.tps)
    out.push({
      scenario: "GET /users/{id}",
      against: "pgbench get-user.sql (c16)",
      concurrency: "best",
      ratio: r3(best(results.runs, "GET /users/{id}") / pgGet.tps),
    });
  return out;
}

const APPS = appNames();

/** The system's processes: the apps, their PostgreSQL backends, NATS (not the load generator). */
const SYSTEM_PROCESSES = [...APPS, "postgres", "nats (shared)"];

/** CPU ms of all the system's processes per request of `run` (its events' work included: see measure()). */
export const cpuMsPerRequest = (run: Run) =>
  run.requests > 0 ? SYSTEM_PROCESSES.reduce((ms, p) => ms + (run.processes[p]?.cpuSeconds ?? 0) * 1000, 0) / run.requests : 0;

/** Every SQL statement one order causes, in all three databases (bench/sql/order-all.sql). */
export const ORDER_ALL_SQL = "order-all.sql";

/** The goals of issue 15, from this run's numbers. */
export function targets(results: Results): Target[] {
  const out: Target[] = [];
  const add = (name: string, value: string, goal: string, met: boolean) => out.push({ name, value, goal, met });
  const many = results.runs.filter((r) => r.scenario === "POST /orders (many users)");
  const top = many.reduce<Run | undefined>((a, r) => (!a || r.rps > a.rps ? r : a), undefined);
  const cpu = top ? cpuMsPerRequest(top) : undefined;
  add(
    "CPU per order at saturation, all processes (best many-user run, its backlog included)",
    cpu === undefined ? "n/a" : `${cpu.toFixed(2)} ms (c=${top!.concurrency}, ${top!.rps} req/s)`,
    "<= 3.5 ms",
    cpu !== undefined && cpu <= 3.5,
  );
  const pgAll = results.pgbench.find((p) => p.script === ORDER_ALL_SQL);
  const ordersRatio = top && pgAll?.tps ? top.rps / pgAll.tps : undefined;
  add(
    "POST /orders over many users vs pgbench of all the SQL an order causes",
    ordersRatio === undefined ? "n/a" : `${ordersRatio.toFixed(2)} (${top!.rps} req/s vs ${pgAll!.tps} tps)`,
    ">= 0.5",
    (ordersRatio ?? 0) >= 0.5,
  );
  const w = results.worker;
  const workerRatio = w && top ? w.workerEventsPerS / top.rps : undefined;
  add(
    "worker throughput vs the max POST /orders rate",
    workerRatio === undefined
      ? "n/a"
      : `${workerRatio.toFixed(2)}x (${w!.workerEventsPerS} events/s; raw consume+ack ${w!.rawConsumeAckPerS}/s; SQL floor ${w!.sqlFloorPerS ?? "n/a"}/s)`,
    ">= 1.5x",
    (workerRatio ?? 0) >= 1.5,
  );
  const sus = results.sustained;
  add(
    "at 80% of the max order rate, sustained: event p99, backlog drained after the load",
    sus?.events ? `${sus.events.p99Ms} ms at ${sus.rps} req/s for ${sus.durationS} s, drained in ${sus.events.drainMs} ms, ${sus.events.lost} lost` : "n/a",
    "< 250 ms, drain < 1 s",
    !!sus?.events && sus.events.p99Ms < 250 && sus.events.drainMs < 1000 && sus.events.lost === 0,
  );
  const p = results.paced;
  add(
    "at 100 orders/s over many users (intended-start timing): POST /orders p99, event p99",
    p?.events ? `${p.p99Ms} ms, events ${p.events.p99Ms} ms, ${p.events.lost} lost` : "n/a",
    "< 100 ms, < 50 ms, 0 lost",
    !!p?.events && p.p99Ms < 100 && p.events.p99Ms < 50 && p.events.lost === 0,
  );
  const r = results.ready;
  const firstTen = r ? Math.max(0, ...r.worstBySecond.slice(0, 10)) : undefined;
  add(
    "ready means ready: worst request per second in the first 10 s after /ready (100 orders/s)",
    firstTen === undefined ? "n/a" : `${firstTen} ms (by second: ${r!.worstBySecond.slice(0, 10).join(", ")})`,
    "< 250 ms",
    firstTen !== undefined && firstTen < 250,
  );
  const pgGet = results.pgbench.find((p) => p.script === "get-user.sql");
  const get = pgGet?.tps ? best(results.runs, "GET /users/{id}") / pgGet.tps : undefined;
  // Beside it, the most any request crossing one gRPC hop could reach here: a bare grpc-js server.
  const bare = pgGet?.tps ? best(results.runs, "gRPC GetUser, bare server") / pgGet.tps : undefined;
  add(
    "GET /users/{id} vs pgbench of its query",
    get === undefined ? "n/a" : `${get.toFixed(3)}${bare ? ` (a bare grpc-js hop alone: ${bare.toFixed(3)})` : ""}`,
    ">= 0.15",
    (get ?? 0) >= 0.15,
  );
  const all = [...results.runs, ...[results.sustained, results.paced, results.ready].filter((x): x is PacedRun => !!x)];
  const peak = Object.fromEntries(APPS.map((a) => [a, Math.max(0, ...all.map((r) => r.processes[a]?.peakRssMb ?? 0))]));
  const worst = Math.max(...Object.values(peak));
  add("peak RSS per app", APPS.map((a) => `${a} ${peak[a]} MB`).join(", "), "< 150 MB each", worst > 0 && worst < 150);
  const errors = all.reduce((n, r) => n + r.errors.socket + r.errors.non2xx, 0);
  add("errors (socket + non-2xx) over all runs", String(errors), "0", errors === 0);
  const lost = all.reduce((n, r) => n + (r.events?.lost ?? 0), 0);
  const events = all.reduce((n, r) => n + (r.events?.events ?? 0), 0);
  add("events lost over all runs", `${lost} of ${events}`, "0", lost === 0 && events > 0);
  return out;
}

// The shape of a bench run's results, and the ratios and targets computed from them.

import { appNames } from "../../system.ts";
import type { EventLatency } from "./events.ts";
import type { LoadResult } from "./load.ts";
import type { PgbenchResult } from "./pgbench.ts";
import type { Usage } from "./sampler.ts";

export const SCENARIOS = ["GET /users/{id}", "POST /users", "POST /orders", "mixed 80/20"] as const;
export const BASELINES = ["Elysia GET /hello", "Elysia POST (validated)", "gRPC GetUser direct"] as const;
export type Scenario = (typeof SCENARIOS)[number] | (typeof BASELINES)[number];

export interface Run extends LoadResult {
  scenario: Scenario;
  concurrency: number;
  /** Per process (the apps, the load generator, our PostgreSQL backends, the shared nats-server). */
  processes: Record<string, Usage>;
  /** Order (and, for POST /users, user) events: commit to stored notification. */
  events?: EventLatency;
}

export interface Results {
  mode: "quick" | "full";
  startedAt: string;
  durationS: number;
  machine: { cpus: number; bun: string; postgres: string; wrk: string };
  settings: { concurrencies: number[]; runS: number; warmupS: number };
  runs: Run[];
  /** POST /orders at half the best POST /orders rate, paced by the wrk script. */
  halfRate?: Run & { targetRps: number };
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
  const pgOrders = results.pgbench.find((p) => p.script === "create-order.sql");
  if (pgOrders?.tps)
    out.push({
      scenario: "POST /orders",
      against: "pgbench create-order.sql (c16)",
      concurrency: "best",
      ratio: r3(best(results.runs, "POST /orders") / pgOrders.tps),
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

/** The goals of the task, from this run's numbers. */
export function targets(results: Results): Target[] {
  const rs = ratios(results);
  const bestRatio = (scenario: Scenario, against: string) =>
    rs.find((r) => r.scenario === scenario && r.against.startsWith(against) && r.concurrency === "best")?.ratio;
  const out: Target[] = [];
  const orders = bestRatio("POST /orders", "pgbench");
  out.push({
    name: "POST /orders vs pgbench, same transaction",
    value: orders === undefined ? "n/a" : orders.toFixed(2),
    goal: ">= 0.6",
    met: (orders ?? 0) >= 0.6,
  });
  const get = bestRatio("GET /users/{id}", "gRPC GetUser direct");
  out.push({ name: "GET /users/{id} vs direct gRPC GetUser", value: get === undefined ? "n/a" : get.toFixed(2), goal: ">= 0.5", met: (get ?? 0) >= 0.5 });
  const ev = results.halfRate?.events;
  out.push({
    name: "event commit -> notification p99 at half the max POST /orders rate",
    value: ev ? `${ev.p99Ms} ms, ${ev.lost} lost of ${ev.events}` : "n/a",
    goal: "< 50 ms, 0 lost",
    met: !!ev && ev.events > 0 && ev.p99Ms < 50 && ev.lost === 0,
  });
  const peak = Object.fromEntries(APPS.map((a) => [a, Math.max(0, ...results.runs.map((r) => r.processes[a]?.peakRssMb ?? 0))]));
  const worst = Math.max(...Object.values(peak));
  out.push({ name: "peak RSS per app", value: APPS.map((a) => `${a} ${peak[a]} MB`).join(", "), goal: "< 150 MB each", met: worst > 0 && worst < 150 });
  const errors = [...results.runs, ...(results.halfRate ? [results.halfRate] : [])].reduce((n, r) => n + r.errors.socket + r.errors.non2xx, 0);
  out.push({ name: "errors (socket + non-2xx) over all runs", value: String(errors), goal: "0", met: errors === 0 });
  return out;
}

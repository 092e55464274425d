// The result writer: JSON, Markdown and SVG from one fixture, and the targets computed from it.
import { expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeResults } from "./report.ts";
import { type Results, type Run, type Scenario, targets } from "./results.ts";

const usage = (mb: number) => ({ cpuSeconds: 1, peakRssMb: mb });
const run = (scenario: Scenario, concurrency: number, rps: number, extra: Partial<Run> = {}): Run => ({
  scenario,
  concurrency,
  requests: rps * 2,
  durationS: 2,
  rps,
  p50Ms: 1,
  p99Ms: 5,
  maxMs: 9,
  errors: { socket: 0, non2xx: 0 },
  processes: { gateway: usage(90), user: usage(80), order: usage(70), notification: usage(60), load: usage(5) },
  ...extra,
});

const paced = (rps: number, events: Run["events"]) => ({
  ...run("POST /orders (many users)", 0, rps, { events }),
  targetRps: rps,
  worstBySecond: [100, 60, 40],
});

function fixture(): Results {
  const events = { events: 100, p50Ms: 4, p99Ms: 20, maxMs: 30, lost: 0, drainMs: 100 };
  return {
    mode: "quick",
    startedAt: "2026-11-27T00:00:00.000Z",
    durationS: 60,
    machine: { cpus: 2, bun: "1.4.4", postgres: "PostgreSQL 15", wrk: "wrk 4.1.0" },
    settings: { concurrencies: [1, 64], runS: 2, warmupS: 1 },
    runs: [
      run("GET /users/{id}", 1, 1000),
      run("GET /users/{id}", 64, 3000),
      run("gRPC GetUser direct", 1, 2000),
      run("gRPC GetUser direct", 64, 5000),
      run("POST /orders", 1, 300, { events }),
      run("POST /orders", 64, 700, { events }),
      run("POST /orders (many users)", 64, 1000, { events }),
    ],
    sustained: { ...paced(800, events), worstBySecond: [50, 40] },
    paced: paced(100, events),
    ready: { ...paced(100, events), readyAfterMs: 900 },
    worker: { events: 1000, notified: 1000, workerEventsPerS: 1600, rawConsumeAckPerS: 20_000, sqlFloorPerS: 2000, processes: {} },
    pgbench: [
      { script: "order-all.sql", clients: 16, tps: 1500, latencyAvgMs: 16, failed: 0 },
      { script: "get-user.sql", clients: 16, tps: 10_000, latencyAvgMs: 1, failed: 0 },
    ],
    appWarnings: { user: 0, order: 0, notification: 0, gateway: 0 },
  };
}

test("writes JSON, Markdown and SVG with every run, ratio and target", async () => {
  const dir = await mkdtemp(join(tmpdir(), "bench-report-"));
  try {
    const files = await writeResults(fixture(), dir, "run");
    const json = await Bun.file(files.json).json();
    expect(json.runs).toHaveLength(7);
    expect(json.ratios).toContainEqual({ scenario: "GET /users/{id}", against: "gRPC GetUser direct", concurrency: 64, ratio: 0.6 });
    expect(json.ratios).toContainEqual({ scenario: "POST /orders (many users)", against: "pgbench order-all.sql (c16)", concurrency: "best", ratio: 0.667 });

    const md = await Bun.file(files.md).text();
    expect(md).toContain("| POST /orders | 64 | 700 | 1 | 5 | 9 | 0 | 4 / 20 (0 lost of 100) |");
    expect(md).toContain("![throughput and latency against concurrency](run.svg)");
    // CPU per request: 1 CPU second per app over 1400 requests; the load generator is not the system's.
    expect(md).toContain("| POST /orders | 64 | 0.71 | 0.71 | 0.71 | 0.71 | 0.00 | 0.00 | 2.86 |");

    const svg = await Bun.file(files.svg).text();
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    // One throughput line per series, and a p99 and a p50 line per series.
    expect(svg.match(/<polyline/g)).toHaveLength(4 + 4 * 2);
    expect(md).toContain("| 100 orders/s | 100 | 100 | 1 | 5 | 9 | 0 | 4 | 20 | 30 | 0 | 100 | 100 60 40 |");
    expect(svg).not.toContain("NaN");
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("targets are met only by numbers that meet them", () => {
  const good = fixture();
  expect(
    targets(good)
      .map((t) => [t.name, t.met])
      .filter(([, met]) => !met),
  ).toEqual([]);
  expect(targets(good)).toHaveLength(10);

  const bad = fixture();
  const lostOne = { events: 100, p50Ms: 40, p99Ms: 300, maxMs: 400, lost: 1, drainMs: 5000 };
  // 5 processes' CPU second over 1000 orders: 5 ms; 500 / 1500 of pgbench; 600 events/s < 1.5 x 500.
  bad.runs[6] = run("POST /orders (many users)", 64, 500, {
    errors: { socket: 1, non2xx: 2 },
    processes: { gateway: usage(90), user: usage(80), order: usage(200), notification: usage(60), postgres: usage(10) },
  });
  bad.worker!.workerEventsPerS = 600;
  bad.sustained!.events = lostOne;
  bad.paced!.p99Ms = 150;
  bad.ready!.worstBySecond = [400, 100];
  bad.runs[1] = run("GET /users/{id}", 64, 1000);
  expect(targets(bad).map((t) => t.met)).toEqual(Array(10).fill(false));
});

// Writes a run's results as JSON, a Markdown report and an SVG chart into one folder.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { APPS } from "../../system.ts";
import { type Results, type Run, ratios, targets } from "./results.ts";
import { chart } from "./svg.ts";

/** The gateway first (requests enter there), then the other apps of system.ts, then the infrastructure. */
const SYSTEM_COLUMNS = [...APPS.filter((a) => a.kind === "gateway"), ...APPS.filter((a) => a.kind !== "gateway")]
  .map((a) => a.name as string)
  .concat("postgres", "nats (shared)");
const PROCESS_COLUMNS = [...SYSTEM_COLUMNS, "elysia", "grpc", "load"];

export async function writeResults(results: Results, dir: string, name: string): Promise<{ json: string; md: string; svg: string }> {
  await mkdir(dir, { recursive: true });
  const files = { json: join(dir, `${name}.json`), md: join(dir, `${name}.md`), svg: join(dir, `${name}.svg`) };
  await Bun.write(files.json, `${JSON.stringify({ ...results, ratios: ratios(results), targets: targets(results) }, null, 2)}\n`);
  await Bun.write(files.md, markdown(results, `${name}.svg`));
  await Bun.write(files.svg, chart(results));
  return files;
}

const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

const errors = (r: Run) => (r.errors.socket + r.errors.non2xx === 0 ? "0" : `${r.errors.socket} socket, ${r.errors.non2xx} non-2xx`);
const events = (r: Run) => (r.events ? `${r.events.p50Ms} / ${r.events.p99Ms} (${r.events.lost} lost of ${r.events.events})` : "");

export function markdown(results: Results, svgFile: string): string {
  const { machine, settings } = results;
  const parts = [
    `# Bench results (${results.mode})`,
    `${results.startedAt}, ${results.durationS} s in all. ${machine.cpus} CPUs, Bun ${machine.bun}, ${machine.postgres}, ${machine.wrk}. ` +
      (machine.stolenPercent === undefined ? "" : `${machine.stolenPercent}% of the CPU time was taken by the host (steal) during the run. `) +
      `Each run ${settings.runS} s after a ${settings.warmupS} s warm-up per scenario, \`wrk -t1\`, concurrencies ${settings.concurrencies.join(", ")}.`,
    `![throughput and latency against concurrency](${svgFile})`,
    "## Targets",
    table(
      ["goal", "this run", "target", "met"],
      targets(results).map((t) => [t.name, t.value, t.goal, t.met ? "yes" : "**no**"]),
    ),
    "## Throughput and latency",
    table(
      ["scenario", "c", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "event p50 / p99 ms"],
      results.runs.map((r) => [r.scenario, r.concurrency, r.rps, r.p50Ms, r.p99Ms, r.maxMs, errors(r), events(r)]),
    ),
  ];
  const paced = [
    ["80% of the best many-user rate, sustained", results.sustained],
    ["100 orders/s", results.paced],
    ["100 orders/s from the first /ready after a restart", results.ready],
  ] as const;
  if (paced.some(([, r]) => r)) {
    parts.push(
      "## Open-loop POST /orders over many users (latency from each request's intended start: bench/open-loop.ts)",
      table(
        [
          "run",
          "target req/s",
          "achieved req/s",
          "p50 ms",
          "p99 ms",
          "max ms",
          "errors",
          "event p50 ms",
          "event p99 ms",
          "event max ms",
          "lost",
          "drain ms",
          "worst per second ms",
        ],
        paced.flatMap(([name, r]) =>
          r
            ? [
                [
                  name,
                  r.targetRps,
                  r.rps,
                  r.p50Ms,
                  r.p99Ms,
                  r.maxMs,
                  errors(r),
                  r.events?.p50Ms ?? "",
                  r.events?.p99Ms ?? "",
                  r.events?.maxMs ?? "",
                  r.events?.lost ?? "",
                  r.events?.drainMs ?? "",
                  r.worstBySecond.map((ms) => Math.round(ms)).join(" "),
                ],
              ]
            : [],
        ),
      ),
    );
  }
  if (results.worker) {
    const w = results.worker;
    parts.push(
      "## The notification worker alone (events published straight into the stream)",
      table(
        ["events", "notified", "worker events/s", "bare JetStream consume+ack /s", "worker SQL floor (pgbench) /s"],
        [[w.events, w.notified, w.workerEventsPerS, w.rawConsumeAckPerS, w.sqlFloorPerS ?? "n/a"]],
      ),
    );
  }
  parts.push(
    "## Ratios against the baselines",
    table(
      ["scenario", "against", "c", "ratio"],
      ratios(results).map((r) => [r.scenario, r.against, r.concurrency, r.ratio.toFixed(3)]),
    ),
    "## pgbench (-M prepared -j2)",
    table(
      ["script", "clients", "tps", "latency avg ms", "failed"],
      results.pgbench.map((p) => [p.script, p.clients, p.tps, p.latencyAvgMs, p.failed]),
    ),
    "## CPU seconds / peak RSS MB per process",
    "`postgres` is the backends of this run's databases; `nats (shared)` is the machine's nats-server, which others may use too; `elysia` and `grpc` are the bare baselines' servers; `load` is wrk, pgbench or the gRPC client.",
    table(
      ["scenario", "c", ...PROCESS_COLUMNS],
      [...results.runs, ...paced.flatMap(([name, r]) => (r ? [{ ...r, scenario: name, concurrency: "open" }] : []))].map((r) => [
        r.scenario,
        r.concurrency,
        ...PROCESS_COLUMNS.map((p) => (r.processes[p] ? `${r.processes[p].cpuSeconds} / ${r.processes[p].peakRssMb}` : "")),
      ]),
    ),
    "## CPU milliseconds per request",
    "The system's CPU during each run divided by the requests served: where each request's cost goes, and a figure " +
      "that moves less with the machine's noise than requests/s. For runs that cause events, the sampling goes on until " +
      "every event is notified and no delivery is due, so that work counts too. `system` is every column but `load`.",
    table(
      ["scenario", "c", ...SYSTEM_COLUMNS, "system"],
      results.runs
        .filter((r) => r.processes.gateway && r.requests > 0)
        .map((r) => {
          const perRequest = (p: string) => ((r.processes[p]?.cpuSeconds ?? 0) * 1000) / r.requests;
          return [
            r.scenario,
            r.concurrency,
            ...SYSTEM_COLUMNS.map((p) => perRequest(p).toFixed(2)),
            SYSTEM_COLUMNS.reduce((sum, p) => sum + perRequest(p), 0).toFixed(2),
          ];
        }),
    ),
    "## Warnings logged by the apps",
    Object.entries(results.appWarnings)
      .map(([app, n]) => `${app}: ${n}`)
      .join(", "),
  );
  return `${parts.join("\n\n")}\n`;
}

// `bun run bench [--quick]`: the whole system under load against its physical limits, in one run.
// See bench/README.md for what is measured and how to read it.
import { PG_URL, ROOT } from "@evented/testing";
import postgres from "postgres";
import { seedCustomers } from "./lib/customers.ts";
import { requireTools } from "./lib/load.ts";
import { backendTracker, systemGroups } from "./lib/measure.ts";
import { baselinesPhase, pgbenchPhase, readyPhase, type Settings, seedUsers, systemPhase } from "./lib/phases.ts";
import { writeResults } from "./lib/report.ts";
import { type Results, targets } from "./lib/results.ts";
import { machineTicks } from "./lib/sampler.ts";
import { startSystem } from "./lib/system.ts";
import { workerPhase } from "./lib/worker.ts";

const quick = process.argv.includes("--quick");
const settings: Settings = quick
  ? { concurrencies: [1, 64], runS: 2, warmupS: 1, pgbenchS: 3, sustainS: 5, pacedS: 5, readyS: 10, workerEvents: 2000, eventWaitMs: 15_000 }
  : { concurrencies: [1, 16, 64, 256], runS: 8, warmupS: 3, pgbenchS: 10, sustainS: 60, pacedS: 30, readyS: 15, workerEvents: 10_000, eventWaitMs: 30_000 };
/** Customers of the many-user scenarios (seeded straight into the databases: bench/lib/customers.ts). */
const CUSTOMERS = quick ? 2000 : 10_000;

requireTools({ wrk: "apt-get install -y wrk", pgbench: "apt-get install -y postgresql-15 (Debian ships pgbench with the server package)" });

const started = new Date();
const ticksAtStart = await machineTicks();
console.log(`bench (${quick ? "quick" : "full"}): starting the system (LOG_LEVEL=warn, NODE_ENV=production)`);
const system = await startSystem({ extraBunArgs: process.env.BENCH_BUN_ARGS?.split(" ").filter(Boolean) });
let cleaning: Promise<void> | undefined;
const cleanup = () => (cleaning ??= system.cleanup());
process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));

const databases = Object.values(system.databases).map((d) => d.name);
const backends = await backendTracker(databases);
let results: Results;
try {
  const userIds = await seedUsers(system.gatewayUrl, quick ? 20 : 100);
  const customers = await seedCustomers(system.databases, system.signingJwk, CUSTOMERS);
  const groups = await systemGroups(system, backends.pids);
  const { runs, sustained, paced } = await systemPhase(system, settings, groups, userIds, customers);
  await system.vacuum();
  const worker = await workerPhase(system, customers, settings.workerEvents, groups);
  await system.vacuum();
  const ready = await readyPhase(system, settings, customers, backends.pids);
  const { apps } = system;
  await system.stop();
  await system.vacuum();
  const appWarnings = Object.fromEntries(Object.values(apps).map((a) => [a.name, a.warnings]));
  const pgbench = await pgbenchPhase(system, settings, userIds, customers, backends.pids);
  await customers.remove();
  const orderNotificationSql = pgbench.find((p) => p.script === "order-all-notification.sql");
  if (worker && orderNotificationSql) worker.sqlFloorPerS = orderNotificationSql.tps;
  runs.push(...(await baselinesPhase(settings)));
  results = {
    mode: quick ? "quick" : "full",
    startedAt: started.toISOString(),
    durationS: Math.round((Date.now() - started.getTime()) / 1000),
    machine: { ...(await machine()), stolenPercent: stolenSince(ticksAtStart, await machineTicks()) },
    settings: { concurrencies: settings.concurrencies, runS: settings.runS, warmupS: settings.warmupS },
    runs,
    sustained,
    paced,
    ready,
    worker,
    pgbench,
    appWarnings,
  };
} finally {
  await backends.close();
  await cleanup();
}

const files = await writeResults(results, `${ROOT}bench/results`, quick ? "quick" : "latest");
console.log(`\nTargets (goals, from this run):`);
for (const t of targets(results)) console.log(`  ${t.met ? "met " : "MISS"}  ${t.name}: ${t.value} (goal ${t.goal})`);
console.log(`\nwrote ${files.json}\n      ${files.md}\n      ${files.svg}`);

/** The share of the machine's CPU time taken by the host between two readings: how noisy the run's neighbours were. */
function stolenSince(a: { all: number; steal: number }, b: { all: number; steal: number }): number {
  return Math.round(((b.steal - a.steal) / Math.max(1, b.all - a.all)) * 1000) / 10;
}

async function machine(): Promise<Omit<Results["machine"], "stolenPercent">> {
  const sql = postgres(PG_URL, { max: 1, onnotice: () => {} });
  const [row] = await sql`select version()`;
  await sql.end();
  const wrkVersion = (await new Response(Bun.spawn(["wrk", "-v"], { stdout: "pipe", stderr: "pipe" }).stdout).text()).split("\n")[0] ?? "";
  return {
    cpus: navigator.hardwareConcurrency,
    bun: Bun.version,
    postgres: String(row?.version ?? "").split(" on ")[0] ?? "",
    wrk: wrkVersion.split(" Copyright")[0]!.trim(),
  };
}

// `bun bench/sustained.ts [orders/s] [seconds]`: the bench's open-loop run alone (the sustained and
// the 100 orders/s runs): the system started and seeded as the bench does, warmed up, then POST
// /orders over 10,000 customers at a fixed rate, timed from each request's intended start, with the
// CPU of every process (the generator's as `load`) and the time from each commit to its notification.
import { seedCustomers } from "./lib/customers.ts";
import { eventProbe } from "./lib/events.ts";
import { wrk } from "./lib/load.ts";
import { backendTracker, describe, systemGroups } from "./lib/measure.ts";
import { pacedRun, type Settings } from "./lib/phases.ts";
import { startSystem } from "./lib/system.ts";

const [rate = "100", seconds = "30"] = process.argv.slice(2);
const system = await startSystem({ extraBunArgs: process.env.BENCH_BUN_ARGS?.split(" ").filter(Boolean) });
const backends = await backendTracker(Object.values(system.databases).map((d) => d.name));
const probe = eventProbe(system.databases.order.url, system.databases.notification.url);
try {
  const customers = await seedCustomers(system.databases, system.signingJwk, 10_000);
  const groups = await systemGroups(system, backends.pids);
  await wrk(system.gatewayUrl, 16, 3, "customer-orders", [customers.file]).result; // warm-up, as the bench's
  const run = await pacedRun(system, { eventWaitMs: 30_000 } as Settings, groups, customers, Number(rate), Number(seconds), probe);
  console.log(`${describe(run)}\n  worst by second ${run.worstBySecond.join(" ")} ms`);
  console.log(
    Object.entries(run.processes)
      .map(([name, u]) => `  ${name} ${u.cpuSeconds} s / ${u.peakRssMb} MB`)
      .join("\n"),
  );
  await customers.remove();
} finally {
  await probe.close();
  await backends.close();
  await system.cleanup();
}

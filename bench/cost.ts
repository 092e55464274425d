// `bun bench/cost.ts [scenario] [connections] [seconds] [rate]`: what one request costs in CPU at one
// load, for the whole machine (from /proc/stat, so the kernel counts too) and per process. The
// figure behind bench/README's CPU budget and its A/B comparisons: run it on each side of a change.
// The system starts as the bench starts it. After a warm-up the load runs, then the events it caused
// are notified and their deliveries sent, inside the measured window, so background work counts.
// Scenarios: get-user, post-user, post-order; rate in requests/s paces the load (else: flat out).
// BENCH_BUN_ARGS (e.g. --smol) starts the apps under other Bun flags, as in bench/run.ts.

import { eventProbe } from "./lib/events.ts";
import { wrk } from "./lib/load.ts";
import { backendTracker, systemGroups } from "./lib/measure.ts";
import { seedUsers } from "./lib/phases.ts";
import { machineTicks, round, startSampler } from "./lib/sampler.ts";
import { startSystem } from "./lib/system.ts";

const [scenario = "post-order", connections = "64", seconds = "8", rate] = process.argv.slice(2);
const DRAIN_MS = 30_000;

const system = await startSystem({ extraBunArgs: process.env.BENCH_BUN_ARGS?.split(" ").filter(Boolean) });
const backends = await backendTracker(Object.values(system.databases).map((d) => d.name));
const { user, order, notification } = system.databases;
const probe = scenario === "post-user" ? eventProbe(user.url, notification.url) : eventProbe(order.url, notification.url);
try {
  const ids = await seedUsers(system.gatewayUrl, 20);
  const args = scenario === "post-user" ? [`cost${Date.now()}`] : scenario === "post-order" ? [ids[0]!] : ids;
  const groups = await systemGroups(system, backends.pids);
  const beforeWarmUp = await probe.mark();
  await wrk(system.gatewayUrl, 16, 3, scenario, args).result;
  await probe.drain(beforeWarmUp, DRAIN_MS);

  const mark = await probe.mark();
  const sampler = startSampler(groups);
  const ticks = (await machineTicks()).busy;
  const load = await wrk(system.gatewayUrl, Number(connections), Number(seconds), scenario, args, rate ? Number(rate) : undefined).result;
  await probe.drain(mark, DRAIN_MS);
  const machineMs = ((await machineTicks()).busy - ticks) * 10; // 100 ticks per second
  const usage = await sampler.stop();

  const perRequest = (ms: number) => round(ms / load.requests, 2);
  console.log(
    `${scenario} c=${connections}${rate ? ` paced at ${rate} req/s` : ""}: ${load.rps} req/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms, ` +
      `errors ${load.errors.socket + load.errors.non2xx}`,
  );
  console.log(`CPU ms per request: machine ${perRequest(machineMs)}`);
  for (const [name, u] of Object.entries(usage))
    console.log(`  ${name.padEnd(13)} ${String(perRequest(u.cpuSeconds * 1000)).padEnd(6)} (peak RSS ${u.peakRssMb} MB)`);
} finally {
  await probe.close();
  await backends.close();
  await system.cleanup();
}

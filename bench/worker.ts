// `bun bench/worker.ts [events] [--profile]`: the notification worker alone (bench/lib/worker.ts), on
// a system started as the bench starts it: N OrderCreated published straight into the stream, the
// worker's rate of turning them into notifications, and a bare JetStream consumer's fetch-and-ack
// rate. With --profile the apps run under `bun --cpu-prof-md` (profiles in bench/results/profiles/).
import { mkdir } from "node:fs/promises";
import { ROOT } from "@evented/testing";
import { seedCustomers } from "./lib/customers.ts";
import { backendTracker, systemGroups } from "./lib/measure.ts";
import { startSystem } from "./lib/system.ts";
import { workerPhase } from "./lib/worker.ts";

const profile = process.argv.includes("--profile");
const [events = "5000"] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const profiles = `${ROOT}bench/results/profiles`;
if (profile) await mkdir(profiles, { recursive: true });
const system = await startSystem(profile ? { extraBunArgs: ["--cpu-prof-md", `--cpu-prof-dir=${profiles}`] } : {});
const backends = await backendTracker(Object.values(system.databases).map((d) => d.name));
try {
  const customers = await seedCustomers(system.databases, system.signingJwk, 1000);
  const w = await workerPhase(system, customers, Number(events), await systemGroups(system, backends.pids));
  const cpu = Object.entries(w.processes).map(([name, u]) => `${name} ${((u.cpuSeconds * 1000) / w.notified).toFixed(2)}`);
  console.log(`CPU ms per event: ${cpu.join(", ")}`);
  await customers.remove();
} finally {
  await backends.close();
  await system.cleanup();
}
if (profile) console.log(`profiles in ${profiles} (the notification worker's: the file with pid ${system.apps.notification?.proc.pid})`);

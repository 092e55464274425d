// `bun bench/ready.ts [seconds]`: the bench's "ready means ready" run alone: the system started and
// seeded as the bench does, every app restarted, and 100 orders/s over many users from the moment
// /ready first answers 200, with the worst request of each second.
import { seedCustomers } from "./lib/customers.ts";
import { backendTracker } from "./lib/measure.ts";
import { readyPhase, type Settings } from "./lib/phases.ts";
import { startSystem } from "./lib/system.ts";

const [seconds = "10"] = process.argv.slice(2);
const system = await startSystem();
const backends = await backendTracker(Object.values(system.databases).map((d) => d.name));
try {
  const customers = await seedCustomers(system.databases, system.signingJwk, 2000);
  await readyPhase(system, { readyS: Number(seconds), eventWaitMs: 30_000 } as Settings, customers, backends.pids);
  await customers.remove();
} finally {
  await backends.close();
  await system.cleanup();
}

// `bun bench/profile.ts [scenario] [seconds] [connections]`: the system under one wrk scenario
// with every app started under `bun --cpu-prof-md`; the profiles (Markdown, grep-friendly) land
// in bench/results/profiles/<app>.md when the apps stop. Scenarios: get-user, post-user, post-order.
import { mkdir, readdir, rename } from "node:fs/promises";
import { ROOT, uniqueName } from "@evented/testing";
import { wrk } from "./lib/load.ts";
import { seedUsers } from "./lib/phases.ts";
import { startSystem } from "./lib/system.ts";

const [scenario = "post-order", seconds = "15", connections = "64"] = process.argv.slice(2);
const dir = `${ROOT}bench/results/profiles`;
await mkdir(dir, { recursive: true });
const system = await startSystem({ extraBunArgs: ["--cpu-prof-md", `--cpu-prof-dir=${dir}`] });
try {
  const ids = await seedUsers(system.gatewayUrl, 20);
  const args = scenario === "post-user" ? [uniqueName("p")] : scenario === "post-order" ? [ids[0]!] : ids;
  await wrk(system.gatewayUrl, 16, 3, scenario, args).result; // warm-up
  const r = await wrk(system.gatewayUrl, Number(connections), Number(seconds), scenario, args).result;
  console.log(`${scenario} c=${connections}: ${r.rps} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, errors ${r.errors.socket + r.errors.non2xx}`);
} finally {
  await system.cleanup();
}
// Bun names profiles by time and pid; name them by app.
for (const file of await readdir(dir)) {
  const app = Object.values(system.apps).find((a) => file.includes(String(a.proc.pid)));
  if (app) await rename(`${dir}/${file}`, `${dir}/${scenario}-${app.name}.md`);
}
console.log(`profiles in ${dir}: ${(await readdir(dir)).join(", ")}`);

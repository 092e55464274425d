// Direct gRPC load on the user service's GetUser, no gateway: the ceiling for GET /users/{id}.
// One channel (as the gateway has), `concurrency` calls in flight, for `durationS` after a warm-up.
//   bun bench/baselines/grpc-load.ts <host:port> <user-id> <concurrency> <durationS> [warmupS]
// Prints one JSON line: a LoadResult (bench/lib/load.ts).

import { userV1 } from "@evented/proto";
import { credentials, Metadata } from "@grpc/grpc-js";

const [target = "", userId = "", concurrencyArg = "16", durationArg = "5", warmupArg = "1"] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const client = new userV1.UserServiceClient(target, credentials.createInsecure());

// As the gateway calls it: with the caller's access token (BENCH_TOKEN, set by bench/lib/system.ts).
const metadata = new Metadata();
if (process.env.BENCH_TOKEN) metadata.set("authorization", `Bearer ${process.env.BENCH_TOKEN}`);

const call = () =>
  new Promise<boolean>((resolve) => {
    client.getUser({ id: userId }, metadata, (err) => resolve(!err));
  });

/** Runs `concurrency` loops until `until`; records latencies only when `latencies` is given. */
async function drive(until: number, latencies?: number[]): Promise<{ ok: number; failed: number }> {
  let ok = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const started = performance.now();
        if (await call()) ok++;
        else failed++;
        latencies?.push(performance.now() - started);
      }
    }),
  );
  return { ok, failed };
}

await drive(performance.now() + Number(warmupArg) * 1000);
const latencies: number[] = [];
const started = performance.now();
const { ok, failed } = await drive(started + Number(durationArg) * 1000, latencies);
const durationS = (performance.now() - started) / 1000;
client.close();

latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
const r2 = (n: number) => Math.round(n * 100) / 100;
console.log(
  JSON.stringify({
    requests: ok + failed,
    durationS: r2(durationS),
    rps: Math.round(((ok + failed) / durationS) * 10) / 10,
    p50Ms: r2(at(0.5)),
    p99Ms: r2(at(0.99)),
    maxMs: r2(latencies.at(-1) ?? 0),
    errors: { socket: failed, non2xx: 0 },
  }),
);

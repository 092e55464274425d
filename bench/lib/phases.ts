// The bench's phases: the system under wrk, the rate-limited event run, pgbench, and Elysia alone.
import { freePort, uniqueName } from "@evented/testing";
import { eventProbe } from "./events.ts";
import { grpcLoad, type Load, wrk } from "./load.ts";
import { describe, measure } from "./measure.ts";
import { type PgbenchResult, pgbench } from "./pgbench.ts";
import type { Run, Scenario } from "./results.ts";
import { type PidSource, startSampler } from "./sampler.ts";
import { type BenchSystem, httpOk, spawnProcess, stopProcess, waitReady } from "./system.ts";

export interface Settings {
  concurrencies: number[];
  runS: number;
  warmupS: number;
  pgbenchS: number;
  halfRateS: number;
  /** Bound on the wait for every event's notification after a run. */
  eventWaitMs: number;
}

/** Users to read (the first one also places the orders), created through the API. */
export async function seedUsers(gatewayUrl: string, count: number): Promise<string[]> {
  const prefix = uniqueName("seed");
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const res = await fetch(`${gatewayUrl}/users`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${process.env.BENCH_TOKEN}` },
        body: JSON.stringify({ name: `Seed ${i}`, email: `${prefix}-${i}@bench.example.com` }),
      });
      if (res.status !== 201) throw new Error(`seeding a user answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    }),
  );
}

export async function systemPhase(
  system: BenchSystem,
  s: Settings,
  groups: Record<string, PidSource>,
  userIds: string[],
): Promise<{ runs: Run[]; halfRate: Run & { targetRps: number } }> {
  const runs: Run[] = [];
  const orderUser = userIds[0]!;
  const { user, order, notification } = system.databases;
  const probes = { orders: eventProbe(order.url, notification.url), users: eventProbe(user.url, notification.url) };
  const report = (r: Run) => {
    runs.push(r);
    console.log(describe(r));
  };
  try {
    for (const c of s.concurrencies) {
      report(await measure("gRPC GetUser direct", c, grpcLoad(`127.0.0.1:${system.ports.user}`, userIds[1]!, c, s.runS, s.warmupS), groups));
    }
    const scenarios: [Scenario, (c: number, durationS: number) => Load, keyof typeof probes | undefined][] = [
      ["GET /users/{id}", (c, d) => wrk(system.gatewayUrl, c, d, "get-user", userIds), undefined],
      ["POST /users", (c, d) => wrk(system.gatewayUrl, c, d, "post-user", [uniqueName("u")]), "users"],
      ["POST /orders", (c, d) => wrk(system.gatewayUrl, c, d, "post-order", [orderUser]), "orders"],
      ["mixed 80/20", (c, d) => wrk(system.gatewayUrl, c, d, "mixed", [orderUser, ...userIds]), "orders"],
    ];
    for (const [scenario, load, probeName] of scenarios) {
      const probe = probeName && probes[probeName];
      let mark = await probe?.mark();
      await load(16, s.warmupS).result; // warm-up, not reported
      for (const c of s.concurrencies) {
        // Let the warm-up's or the previous run's events and deliveries drain first, so runs do not overlap.
        if (probe) await probe.drain(mark!, s.eventWaitMs);
        mark = await probe?.mark();
        const run = await measure(scenario, c, load(c, s.runS), groups);
        if (probe) run.events = await probe.measure(mark!, await probe.mark(), s.eventWaitMs);
        report(run);
      }
    }
    const bestOrders = Math.max(...runs.filter((r) => r.scenario === "POST /orders").map((r) => r.rps));
    const targetRps = Math.max(1, Math.round(bestOrders / 2));
    await probes.orders.settled(s.eventWaitMs);
    const mark = await probes.orders.mark();
    const half = await measure("POST /orders", 64, wrk(system.gatewayUrl, 64, s.halfRateS, "post-order", [orderUser], targetRps), groups);
    half.events = await probes.orders.measure(mark, await probes.orders.mark(), s.eventWaitMs);
    console.log(`half rate (${targetRps} req/s target): ${describe(half)}`);
    return { runs, halfRate: { ...half, targetRps } };
  } finally {
    await Promise.all([probes.orders.close(), probes.users.close()]);
  }
}

/** pgbench on the run's own databases (the apps stopped): the same SQL, prepared, 16 clients. */
export async function pgbenchPhase(system: BenchSystem, s: Settings, userIds: string[], postgresPids: () => number[]): Promise<PgbenchResult[]> {
  const event = { "x-request-id": "0195c1d4-0000-7000-8000-000000000001", traceparent: "", "event-type": "order.created" };
  const jobs: [string, string, Record<string, string>][] = [
    ["get-user.sql", system.databases.user.url, { id: userIds[1]! }],
    [
      "create-order.sql",
      system.databases.order.url,
      // About the size of a real OrderCreated envelope (protobuf), as hex for bytea.
      { uid: userIds[0]!, subject: `${system.stream.prefix}.order.created`, payload: `\\x${"ab".repeat(220)}`, headers: JSON.stringify(event) },
    ],
  ];
  const results: PgbenchResult[] = [];
  for (const [script, url, vars] of jobs) {
    const run = pgbench(url, script, vars, s.pgbenchS);
    const sampler = startSampler({ postgres: postgresPids, load: run.pid });
    const result = { ...(await run.result), processes: await sampler.stop() };
    console.log(`pgbench ${script.padEnd(18)} ${result.tps} tps  latency avg ${result.latencyAvgMs} ms  failed ${result.failed}`);
    results.push(result);
  }
  return results;
}

/** A bare Elysia app under the same wrk ladder. */
export async function elysiaPhase(s: Settings): Promise<Run[]> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawnProcess("elysia", ["bun", "bench/baselines/elysia-hello.ts"], { PORT: String(port), NODE_ENV: "production" });
  const runs: Run[] = [];
  try {
    await waitReady(server, () => httpOk(`${url}/hello`));
    const ladders: [Scenario, (c: number, d: number) => Load][] = [
      ["Elysia GET /hello", (c, d) => wrk(url, c, d, "hello-get")],
      ["Elysia POST (validated)", (c, d) => wrk(url, c, d, "hello-post", [uniqueName("e")])],
    ];
    for (const [scenario, load] of ladders) {
      await load(16, s.warmupS).result;
      for (const c of s.concurrencies) {
        const run = await measure(scenario, c, load(c, s.runS), { elysia: server.proc.pid });
        runs.push(run);
        console.log(describe(run));
      }
    }
  } finally {
    await stopProcess(server);
  }
  return runs;
}

// The bench's phases: the system under wrk, the rate-limited event run, pgbench, and Elysia alone.
import { freePort, uniqueName, waitFor } from "@evented/testing";
import type { Customers } from "./customers.ts";
import { eventProbe } from "./events.ts";
import { grpcLoad, type Load, openLoop, wrk } from "./load.ts";
import { describe, measure, systemGroups } from "./measure.ts";
import { type PgbenchResult, pgbench } from "./pgbench.ts";
import { ORDER_ALL_SQL, type PacedRun, type Run, type Scenario } from "./results.ts";
import { type PidSource, round, startSampler } from "./sampler.ts";
import { allSqlScripts, pgbenchVars } from "./statements.ts";
import { type BenchSystem, httpOk, portOpen, spawnProcess, stopProcess, waitReady } from "./system.ts";

export interface Settings {
  concurrencies: number[];
  runS: number;
  warmupS: number;
  pgbenchS: number;
  /** The open-loop run at 80% of the best many-user order rate (the event path keeps up). */
  sustainS: number;
  /** The open-loop run at a fixed 100 orders/s over many users. */
  pacedS: number;
  /** The open-loop run right after a restart, from the first /ready 200. */
  readyS: number;
  /** Events of the worker-only run. */
  workerEvents: number;
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
  customers: Customers,
): Promise<{ runs: Run[]; sustained: PacedRun; paced: PacedRun }> {
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
      ["POST /orders (many users)", (c, d) => wrk(system.gatewayUrl, c, d, "customer-orders", [customers.file]), "orders"],
      ["mixed 80/20", (c, d) => wrk(system.gatewayUrl, c, d, "mixed", [orderUser, ...userIds]), "orders"],
    ];
    for (const [scenario, load, probeName] of scenarios) {
      const probe = probeName && probes[probeName];
      let mark = await probe?.mark();
      await load(16, s.warmupS).result; // warm-up, not reported
      for (const c of s.concurrencies) {
        // Let the warm-up's or the previous run's events and deliveries drain first, so runs do not overlap.
        if (probe) await probe.drain(mark!, s.eventWaitMs);
        await system.vacuum();
        mark = await probe?.mark();
        const from = mark;
        // The sampler runs on until the run's events are notified and their deliveries sent, so a
        // run's CPU counts all the work its requests caused, not only what was done while they ran.
        const run = await measure(scenario, c, load(c, s.runS), groups, async () => {
          if (!probe) return undefined;
          const events = await probe.measure(from!, await probe.mark(), s.eventWaitMs);
          await probe.settled(s.eventWaitMs);
          return events;
        });
        report(run);
      }
    }
    const best = Math.max(...runs.filter((r) => r.scenario === "POST /orders (many users)").map((r) => r.rps));
    const sustained = await pacedRun(system, s, groups, customers, Math.max(1, Math.round(best * 0.8)), s.sustainS, probes.orders);
    console.log(`sustained (80% of ${best} req/s): ${describe(sustained)}`);
    const paced = await pacedRun(system, s, groups, customers, 100, s.pacedS, probes.orders);
    console.log(`paced (100 orders/s): ${describe(paced)}`);
    return { runs, sustained, paced };
  } finally {
    await Promise.all([probes.orders.close(), probes.users.close()]);
  }
}

/** POST /orders over many users, open loop at `rate`, timed from each request's intended start. */
export async function pacedRun(
  system: BenchSystem,
  s: Settings,
  groups: Record<string, PidSource>,
  customers: Customers,
  rate: number,
  durationS: number,
  probe: ReturnType<typeof eventProbe>,
): Promise<PacedRun> {
  await probe.settled(s.eventWaitMs);
  await system.vacuum();
  return openLoopOrders(system, s, groups, customers, rate, durationS, probe);
}

/** The open-loop order run itself, from now: its events measured by `probe`, its worst request per second. */
async function openLoopOrders(
  system: BenchSystem,
  s: Settings,
  groups: Record<string, PidSource>,
  customers: Customers,
  rate: number,
  durationS: number,
  probe: ReturnType<typeof eventProbe>,
): Promise<PacedRun> {
  const mark = await probe.mark();
  const load = openLoop(system.gatewayUrl, durationS, customers.file, rate);
  const run = await measure("POST /orders (many users)", 0, load, groups, async () => probe.measure(mark, await probe.mark(), s.eventWaitMs));
  const { worstBySecond } = await load.result;
  return { ...run, targetRps: rate, worstBySecond };
}

/**
 * "Ready means ready": every app restarted on the same databases (a rolling restart's worst case),
 * /ready polled every 10 ms, and orders at 100/s from the moment it first answers 200.
 */
export async function readyPhase(
  system: BenchSystem,
  s: Settings,
  customers: Customers,
  postgresPids: () => number[],
): Promise<PacedRun & { readyAfterMs: number }> {
  const started = Date.now();
  await system.restart();
  await waitFor("/ready after the restart", () => fetch(`${system.gatewayUrl}/ready`).then((r) => r.ok), { intervalMs: 10, timeoutMs: 180_000 });
  const readyAfterMs = Date.now() - started;
  const groups = await systemGroups(system, postgresPids);
  const probe = eventProbe(system.databases.order.url, system.databases.notification.url);
  try {
    const ready = { ...(await openLoopOrders(system, s, groups, customers, 100, s.readyS, probe)), readyAfterMs };
    console.log(`from the first /ready (${readyAfterMs} ms after the restart began): ${describe(ready)}  worst by second ${ready.worstBySecond.join(" ")} ms`);
    return ready;
  } finally {
    await probe.close();
  }
}

/**
 * pgbench on the run's own databases (the apps stopped), prepared statements, 16 clients: the
 * `GET /users/{id}` query, and all the SQL one order (one user) causes, one script per database
 * (bench/sql/*-all-*.sql, kept true by bench/lib/statements.test.ts). The scripts of one request
 * run one after another on the same machine, so the rate at which the server does all of a
 * request's SQL is 1 / (the sum of 1 / tps): reported as `order-all.sql` and `user-all.sql`.
 */
export async function pgbenchPhase(
  system: BenchSystem,
  s: Settings,
  userIds: string[],
  customers: Customers,
  postgresPids: () => number[],
): Promise<PgbenchResult[]> {
  const vars = pgbenchVars(system.stream.prefix, customers.people[0]!.id);
  const db = system.databases;
  const jobs: [string, string, Record<string, string>][] = [
    ["get-user.sql", db.user.url, { id: userIds[1]! }],
    ...allSqlScripts("orders").map(({ db: name, script }): [string, string, Record<string, string>] => [script, db[name].url, vars]),
    ...allSqlScripts("users").map(({ db: name, script }): [string, string, Record<string, string>] => [script, db[name].url, vars]),
  ];
  const results: PgbenchResult[] = [];
  for (const [script, url, v] of jobs) {
    const run = pgbench(url, script, v, s.pgbenchS);
    const sampler = startSampler({ postgres: postgresPids, load: run.pid });
    const result = { ...(await run.result), processes: await sampler.stop() };
    console.log(`pgbench ${script.padEnd(28)} ${result.tps} tps  latency avg ${result.latencyAvgMs} ms  failed ${result.failed}`);
    results.push(result);
  }
  for (const scenario of ["orders", "users"] as const) {
    const parts = allSqlScripts(scenario).map(({ script }) => results.find((r) => r.script === script)!);
    const combined: PgbenchResult = {
      script: scenario === "orders" ? ORDER_ALL_SQL : "user-all.sql",
      clients: parts[0]!.clients,
      tps: round(1 / parts.reduce((sum, p) => sum + 1 / p.tps, 0)),
      latencyAvgMs: round(
        parts.reduce((sum, p) => sum + p.latencyAvgMs, 0),
        3,
      ),
      failed: parts.reduce((n, p) => n + p.failed, 0),
    };
    console.log(`pgbench ${`${combined.script} (combined)`.padEnd(28)} ${combined.tps} tps`);
    results.push(combined);
  }
  return results;
}

/** A bare Elysia app under the same wrk ladder, and a bare grpc-js server under the gRPC client's. */
export async function baselinesPhase(s: Settings): Promise<Run[]> {
  const runs = await elysiaBaseline(s);
  const port = freePort();
  const server = spawnProcess("grpc", ["bun", "bench/baselines/grpc-bare.ts"], { PORT: String(port), NODE_ENV: "production" });
  try {
    await waitReady(server, () => portOpen(port));
    for (const c of s.concurrencies) {
      const run = await measure("gRPC GetUser, bare server", c, grpcLoad(`127.0.0.1:${port}`, "bare", c, s.runS, s.warmupS), { grpc: server.proc.pid });
      runs.push(run);
      console.log(describe(run));
    }
  } finally {
    await stopProcess(server);
  }
  return runs;
}

async function elysiaBaseline(s: Settings): Promise<Run[]> {
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

// `bun bench/open-loop.ts <url> <seconds> <customers-file> <orders/s> [reads/s]`: an open-loop load
// generator. Request i of a stream is due at start + i / rate whether or not the ones before it
// have answered, and its latency is counted from that intended start, not from when it was sent:
// a stalled system cannot slow the load down and hide its own queueing (coordinated omission,
// which wrk's delay() pacing had). Orders are POST /orders by each customer in turn with their own
// token; reads are GET /users/{id} of each customer by themselves. Prints one JSON line: each
// stream's counts and latencies, and the worst latency of the requests due in each second.
export {};

const [url, seconds = "10", file, orderRate = "100", readRate = "0"] = process.argv.slice(2);
if (!url || !file) throw new Error("usage: bun bench/open-loop.ts <url> <seconds> <customers-file> <orders/s> [reads/s]");

const customers = (await Bun.file(file).text())
  .split("\n")
  .filter(Boolean)
  .map((line) => {
    const [id, token] = line.split(" ");
    return { id: id!, auth: `Bearer ${token}` };
  });
const TIMEOUT_MS = 10_000;
const durationMs = Number(seconds) * 1000;

interface Outcome {
  due: number;
  ms: number;
  ok: boolean;
  socket: boolean;
}

const order = (i: number) => {
  const c = customers[i % customers.length]!;
  const body = JSON.stringify({ user_id: c.id, items: [{ product_id: "456", quantity: 2 }] });
  return fetch(`${url}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: c.auth },
    body,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
};
const read = (i: number) => {
  const c = customers[(i * 7919) % customers.length]!;
  return fetch(`${url}/users/${c.id}`, { headers: { authorization: c.auth }, signal: AbortSignal.timeout(TIMEOUT_MS) });
};

async function stream(rate: number, send: (i: number) => Promise<Response>, start: number): Promise<Outcome[]> {
  if (rate <= 0) return [];
  const total = Math.floor((rate * durationMs) / 1000);
  const interval = 1000 / rate;
  const pending: Promise<Outcome>[] = [];
  for (let i = 0; i < total; ) {
    const now = performance.now();
    // Everything due by now goes out now, however late the loop woke up.
    for (; i < total && start + i * interval <= now; i++) {
      const due = start + i * interval;
      pending.push(
        send(i).then(
          async (res) => {
            await res.arrayBuffer();
            return { due, ms: performance.now() - due, ok: res.status >= 200 && res.status < 300, socket: false };
          },
          () => ({ due, ms: performance.now() - due, ok: false, socket: true }),
        ),
      );
    }
    // At least 1 ms: a shorter sleep returns at once, and the loop spun a whole core at 1,000/s
    // (the machine's CPU it measures). A request sent up to a tick late still counts from when it was due.
    if (i < total) await Bun.sleep(Math.max(1, start + i * interval - performance.now()));
  }
  return Promise.all(pending);
}

function summary(outcomes: Outcome[]) {
  const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const q = (p: number) => round(ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? 0);
  return {
    requests: outcomes.length,
    durationS: durationMs / 1000,
    rps: round(outcomes.length / (durationMs / 1000)),
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    maxMs: round(ms.at(-1) ?? 0),
    errors: { socket: outcomes.filter((o) => o.socket).length, non2xx: outcomes.filter((o) => !o.ok && !o.socket).length },
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

const start = performance.now() + 20;
const [orders, reads] = await Promise.all([stream(Number(orderRate), order, start), stream(Number(readRate), read, start)]);
const worstBySecond: number[] = [];
for (const o of [...orders, ...reads]) {
  const s = Math.floor((o.due - start) / 1000);
  worstBySecond[s] = Math.max(worstBySecond[s] ?? 0, round(o.ms));
}
console.log(JSON.stringify({ orders: summary(orders), reads: summary(reads), worstBySecond: Array.from(worstBySecond, (v) => v ?? 0) }));

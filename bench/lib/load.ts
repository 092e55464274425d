// The load generators, each a separate process: wrk (as fast as it goes, or paced to a rate by the
// Lua script), and the gRPC client of bench/baselines. Each returns the same LoadResult.
import { ROOT } from "@evented/testing";
import { round } from "./sampler.ts";

export interface LoadResult {
  requests: number;
  durationS: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Socket errors (connect, read, write, timeout) and responses outside 2xx. */
  errors: { socket: number; non2xx: number };
}

export interface Load {
  /** The generator's pid, for CPU and RSS sampling. */
  pid: number;
  result: Promise<LoadResult>;
}

/** Exits with the install command when a tool is missing. */
export function requireTools(tools: Record<string, string>): void {
  const missing = Object.entries(tools).filter(([bin]) => !Bun.which(bin));
  if (missing.length === 0) return;
  for (const [bin, install] of missing) console.error(`${bin} is not installed; install it with: ${install}`);
  process.exit(1);
}

async function output(proc: ReturnType<typeof Bun.spawn>, what: string): Promise<string> {
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout as ReadableStream).text(),
    new Response(proc.stderr as ReadableStream).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`${what} exited with ${code}:\n${stdout}\n${stderr}`);
  return stdout;
}

/** `wrk -t1` with bench/lua/scenario.lua in `mode`; `args` go to the script; `rate` paces it (req/s in total). */
export function wrk(url: string, connections: number, durationS: number, mode: string, args: string[] = [], rate?: number): Load {
  const cmd = ["wrk", "-t1", `-c${connections}`, `-d${durationS}s`, "--timeout", "10s", "-s", "bench/lua/scenario.lua", url, "--", mode, ...args];
  const env = { ...process.env, ...(rate && { BENCH_RATE: String(rate) }) };
  const proc = Bun.spawn(cmd, { cwd: ROOT, env, stdout: "pipe", stderr: "pipe" });
  return { pid: proc.pid, result: output(proc, "wrk").then(parseWrk) };
}

export function parseWrk(stdout: string): LoadResult {
  const line = stdout.split("\n").find((l) => l.startsWith("BENCH_JSON "));
  if (!line) throw new Error(`wrk printed no BENCH_JSON line:\n${stdout}`);
  const r = JSON.parse(line.slice("BENCH_JSON ".length));
  const durationS = r.duration_us / 1e6;
  return {
    requests: r.requests,
    durationS: round(durationS, 2),
    rps: round(r.requests / durationS),
    p50Ms: round(r.p50_us / 1000, 2),
    p99Ms: round(r.p99_us / 1000, 2),
    maxMs: round(r.max_us / 1000, 2),
    errors: { socket: r.connect + r.read + r.write + r.timeout, non2xx: r.non2xx },
  };
}

/** The direct gRPC GetUser client (bench/baselines/grpc-load.ts) at `concurrency` calls in flight. */
export function grpcLoad(target: string, userId: string, concurrency: number, durationS: number, warmupS: number): Load {
  const cmd = ["bun", "bench/baselines/grpc-load.ts", target, userId, String(concurrency), String(durationS), String(warmupS)];
  const proc = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, NODE_ENV: "production" }, stdout: "pipe", stderr: "pipe" });
  return { pid: proc.pid, result: output(proc, "grpc-load").then((s) => JSON.parse(s.trim().split("\n").at(-1)!) as LoadResult) };
}

export interface OpenLoopResult extends LoadResult {
  /** GET /users/{id} alongside the orders, when asked for. */
  reads: LoadResult;
  /** The worst latency (ms, from the intended start) of the requests due in each second of the run. */
  worstBySecond: number[];
}

/**
 * bench/open-loop.ts: POST /orders by the customers of `file` at `orderRate` per second (and GET
 * /users/{id} at `readRate`), each request timed from when it was due. The result is the orders'.
 */
export function openLoop(url: string, durationS: number, file: string, orderRate: number, readRate = 0): Load & { result: Promise<OpenLoopResult> } {
  const cmd = ["bun", "bench/open-loop.ts", url, String(durationS), file, String(orderRate), String(readRate)];
  const proc = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, NODE_ENV: "production" }, stdout: "pipe", stderr: "pipe" });
  const result = output(proc, "open-loop").then((s) => {
    const r = JSON.parse(s.trim().split("\n").at(-1)!) as { orders: LoadResult; reads: LoadResult; worstBySecond: number[] };
    return { ...r.orders, reads: r.reads, worstBySecond: r.worstBySecond };
  });
  return { pid: proc.pid, result };
}

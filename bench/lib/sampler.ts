// CPU seconds and peak RSS of processes during one run, read from /proc every ~100 ms.
// A group (e.g. "postgres") may be several processes whose pids change: they are summed.

import { readdir } from "node:fs/promises";

const TICKS_PER_SECOND = 100; // CLK_TCK on Linux (checked by `getconf CLK_TCK` on this machine)
const INTERVAL_MS = 100;

export interface Usage {
  cpuSeconds: number;
  peakRssMb: number;
}

interface Seen {
  firstTicks: number;
  lastTicks: number;
}

/** utime + stime in clock ticks and VmRSS in kB, or undefined when the process is gone. */
export async function readProc(pid: number): Promise<{ ticks: number; rssKb: number } | undefined> {
  try {
    const [stat, status] = await Promise.all([Bun.file(`/proc/${pid}/stat`).text(), Bun.file(`/proc/${pid}/status`).text()]);
    // The command name (field 2) may contain spaces; fields after it start with the state (field 3).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // fields 14 (utime) and 15 (stime)
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { ticks, rssKb };
  } catch {
    return undefined;
  }
}

export type PidSource = number | (() => number[]);

/**
 * Starts sampling `groups` (name -> pid, or a function giving the current pids of a group).
 * `stop()` returns each group's CPU seconds over the sampled window and its peak summed RSS.
 */
export function startSampler(groups: Record<string, PidSource>) {
  const seen = new Map<string, Map<number, Seen>>();
  const peakKb = new Map<string, number>();
  for (const name of Object.keys(groups)) {
    seen.set(name, new Map());
    peakKb.set(name, 0);
  }

  async function sample(): Promise<void> {
    await Promise.all(
      Object.entries(groups).map(async ([name, source]) => {
        const pids = typeof source === "number" ? [source] : source();
        const reads = await Promise.all(pids.map(async (pid) => [pid, await readProc(pid)] as const));
        let rss = 0;
        for (const [pid, read] of reads) {
          if (!read) continue;
          const s = seen.get(name)!;
          const known = s.get(pid);
          if (known) known.lastTicks = read.ticks;
          else s.set(pid, { firstTicks: read.ticks, lastTicks: read.ticks });
          rss += read.rssKb;
        }
        peakKb.set(name, Math.max(peakKb.get(name)!, rss));
      }),
    );
  }

  let busy: Promise<void> = sample();
  const timer = setInterval(() => {
    busy = busy.then(sample);
  }, INTERVAL_MS);

  return {
    async stop(): Promise<Record<string, Usage>> {
      clearInterval(timer);
      await busy;
      await sample();
      const usage: Record<string, Usage> = {};
      for (const [name, pids] of seen) {
        let ticks = 0;
        for (const s of pids.values()) ticks += s.lastTicks - s.firstTicks;
        usage[name] = { cpuSeconds: round(ticks / TICKS_PER_SECOND, 2), peakRssMb: round(peakKb.get(name)! / 1024, 1) };
      }
      return usage;
    },
  };
}

/** Pids of processes whose command line matches, e.g. the shared nats-server. */
export async function findPids(match: (cmdline: string) => boolean): Promise<number[]> {
  const found: number[] = [];
  for (const entry of (await readdir("/proc")).filter((e) => /^\d+$/.test(e))) {
    const cmdline = await Bun.file(`/proc/${entry}/cmdline`)
      .text()
      .catch(() => "");
    if (cmdline && match(cmdline.replaceAll("\0", " "))) found.push(Number(entry));
  }
  return found;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The machine's CPU ticks so far (/proc/stat, 100 a second): busy (user, nice, system, irq, softirq, steal), all, and stolen (time the hypervisor gave other guests). */
export async function machineTicks(): Promise<{ busy: number; all: number; steal: number }> {
  const fields = (await Bun.file("/proc/stat").text()).split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return {
    busy: [0, 1, 2, 5, 6, 7].reduce((sum, i) => sum + (fields[i] ?? 0), 0),
    all: fields.reduce((a, b) => a + b, 0),
    steal: fields[7] ?? 0,
  };
}

// Two charts in one SVG: requests/s and latency (p50 dashed, p99 solid) against concurrency,
// one line per scenario and baseline. Hand-written: a few dozen lines of SVG need no library.
import { BASELINES, type Results, SCENARIOS, type Scenario } from "./results.ts";

const W = 480;
const H = 320;
const PAD = { left: 64, right: 16, top: 36, bottom: 44 };
const COLORS: Record<Scenario, string> = {
  "GET /users/{id}": "#1f77b4",
  "POST /users": "#2ca02c",
  "POST /orders": "#d62728",
  "POST /orders (many users)": "#ff7f0e",
  "mixed 80/20": "#9467bd",
  "Elysia GET /hello": "#7f7f7f",
  "Elysia POST (validated)": "#bcbd22",
  "gRPC GetUser direct": "#17becf",
  "gRPC GetUser, bare server": "#aec7e8",
};

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (n: number) => (n >= 1000 ? `${Math.round(n / 100) / 10}k` : String(n >= 1 ? Math.round(n * 10) / 10 : n));

/** Log-scale axis over [min, max], rounded out to powers of ten. */
function logScale(values: number[], from: number, to: number) {
  const positive = values.filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...positive, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...positive, 10)));
  const at = (v: number) => from + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (to - from);
  const ticks: number[] = [];
  for (let t = lo; t <= hi; t *= 10) ticks.push(t);
  return { at, ticks };
}

function panel(results: Results, x0: number, title: string, yLabel: string, series: { name: Scenario; points: [number, number][]; dash?: boolean }[]): string {
  const cs = results.settings.concurrencies;
  const xAt = (c: number) => x0 + PAD.left + (cs.length === 1 ? 0.5 : cs.indexOf(c) / (cs.length - 1)) * (W - PAD.left - PAD.right);
  const y = logScale(
    series.flatMap((s) => s.points.map((p) => p[1])),
    H - PAD.bottom,
    PAD.top,
  );
  const out = [`<text x="${x0 + W / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(title)}</text>`];
  for (const t of y.ticks) {
    out.push(`<line x1="${x0 + PAD.left}" x2="${x0 + W - PAD.right}" y1="${y.at(t)}" y2="${y.at(t)}" stroke="#ddd"/>`);
    out.push(`<text x="${x0 + PAD.left - 6}" y="${y.at(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const c of cs) out.push(`<text x="${xAt(c)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${c}</text>`);
  out.push(`<text x="${x0 + W / 2}" y="${H - 8}" text-anchor="middle">concurrency (connections)</text>`);
  out.push(`<text transform="translate(${x0 + 14},${H / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  for (const s of series) {
    const pts = s.points.map(([c, v]) => `${xAt(c).toFixed(1)},${y.at(v).toFixed(1)}`).join(" ");
    const dash = s.dash ? ' stroke-dasharray="5 4"' : "";
    out.push(`<polyline fill="none" stroke="${COLORS[s.name]}" stroke-width="2"${dash} points="${pts}"/>`);
    for (const [c, v] of s.points) out.push(`<circle cx="${xAt(c).toFixed(1)}" cy="${y.at(v).toFixed(1)}" r="3" fill="${COLORS[s.name]}"/>`);
  }
  return out.join("\n");
}

export function chart(results: Results): string {
  const pointsOf = (name: Scenario, pick: "rps" | "p50Ms" | "p99Ms") =>
    results.runs.filter((r) => r.scenario === name).map((r) => [r.concurrency, r[pick]] as [number, number]);
  const names = [...SCENARIOS, ...BASELINES].filter((n) => results.runs.some((r) => r.scenario === n));
  const throughput = panel(
    results,
    0,
    "Throughput",
    "requests/s (log)",
    names.map((name) => ({ name, points: pointsOf(name, "rps"), dash: !SCENARIOS.includes(name as never) })),
  );
  const latency = panel(
    results,
    W,
    "Latency: p99 solid, p50 dashed",
    "ms (log)",
    names.flatMap((name) => [
      { name, points: pointsOf(name, "p99Ms") },
      { name, points: pointsOf(name, "p50Ms"), dash: true },
    ]),
  );
  const legend = names
    .map((n, i) => {
      const x = 20 + (i % 4) * 235;
      const y = H + 18 + Math.floor(i / 4) * 18;
      const dash = SCENARIOS.includes(n as never) ? "" : ' stroke-dasharray="5 4"';
      return `<line x1="${x}" x2="${x + 24}" y1="${y - 4}" y2="${y - 4}" stroke="${COLORS[n]}" stroke-width="2"${dash}/><text x="${x + 30}" y="${y}">${esc(n)}</text>`;
    })
    .join("\n");
  const height = H + 18 + Math.ceil(names.length / 4) * 18 + 6;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${height}" viewBox="0 0 ${2 * W} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    throughput,
    latency,
    legend,
    "</svg>",
    "",
  ].join("\n");
}

// Reads a /metrics endpoint the way Prometheus would: the text must parse, or the test fails.
import parsePrometheusTextFormat from "parse-prometheus-text-format";

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Fetches and parses Prometheus text; returns the samples of each metric family by name. */
export async function scrapeMetrics(url: string): Promise<Map<string, Sample[]>> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  if (!res.headers.get("content-type")?.startsWith("text/plain")) throw new Error(`${url} is not Prometheus text: ${res.headers.get("content-type")}`);
  const families = parsePrometheusTextFormat(await res.text());
  const byName = new Map<string, Sample[]>();
  for (const f of families) {
    // Histograms come back as buckets, count and sum: keep the count, what tests ask about.
    const samples = f.metrics.map((m) => ({
      labels: (m.labels ?? {}) as Record<string, string>,
      value: Number("value" in m ? m.value : m.count),
    }));
    byName.set(f.name, samples);
  }
  return byName;
}

/** The value of the one sample whose labels include `labels`, or undefined. */
export function sampleValue(metrics: Map<string, Sample[]>, name: string, labels: Record<string, string> = {}): number | undefined {
  return metrics.get(name)?.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

// Reads a /metrics endpoint the way Prometheus would: the text must parse, or the test fails.
import parsePrometheusTextFormat from "parse-prometheus-text-format";

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/**
 * Fetches and parses Prometheus text; returns the samples of each metric family by name. For a
 * histogram the samples are its `_count` series, by label set.
 */
export async function scrapeMetrics(url: string): Promise<Map<string, Sample[]>> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  if (!res.headers.get("content-type")?.startsWith("text/plain")) throw new Error(`${url} is not Prometheus text: ${res.headers.get("content-type")}`);
  const text = await res.text();
  // The parser rejects malformed lines (that is the format check), and reads counters and gauges.
  const families = parsePrometheusTextFormat(text);
  const byName = new Map<string, Sample[]>();
  for (const f of families) {
    if (f.type === "HISTOGRAM") {
      // It folds a labelled histogram into one label-less sample, so its counts are read here.
      byName.set(f.name, countsOf(text, f.name));
      continue;
    }
    byName.set(
      f.name,
      f.metrics.map((m) => ({ labels: m.labels ?? {}, value: Number("value" in m ? m.value : m.count) })),
    );
  }
  return byName;
}

function countsOf(text: string, name: string): Sample[] {
  const line = new RegExp(`^${name}_count(?:\\{(.*)\\})? (\\S+)$`, "gm");
  return [...text.matchAll(line)].map(([, labels = "", value]) => ({
    labels: Object.fromEntries([...labels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k!, v!])),
    value: Number(value),
  }));
}

/** The value of the one sample whose labels include `labels`, or undefined. */
export function sampleValue(metrics: Map<string, Sample[]>, name: string, labels: Record<string, string> = {}): number | undefined {
  return metrics.get(name)?.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

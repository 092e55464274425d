// The package ships no types; this is its documented output (prom2json's shape).
declare module "parse-prometheus-text-format" {
  type Labels = Record<string, string> | undefined;
  type Metric =
    | { value: string; labels?: Labels }
    | { buckets?: Record<string, string>; quantiles?: Record<string, string>; count: string; sum: string; labels?: Labels };
  export default function parse(text: string): { name: string; help: string; type: string; metrics: Metric[] }[];
}

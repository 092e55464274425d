import { prometheus } from "@evented/core";

// Conventional HTTP server metrics; `route` is the route pattern (/users/:id), never the raw path.
const labelNames = ["method", "route", "status"] as const;

const requests = new prometheus.Counter({ name: "http_requests_total", help: "HTTP requests answered, by method, route and status.", labelNames });
const duration = new prometheus.Histogram({
  name: "http_request_duration_seconds",
  help: "Time to answer an HTTP request, by method, route and status.",
  labelNames,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

export function observeRequest(method: string, route: string, status: number, seconds: number): void {
  const labels = { method, route, status: String(status) };
  requests.inc(labels);
  duration.observe(labels, seconds);
}

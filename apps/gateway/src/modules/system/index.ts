import type { HealthChecker } from "@evented/core";
import { Elysia, t } from "elysia";

/** The services the gateway needs, by name, each asked with the standard grpc.health.v1 Check. */
export type Downstream = Record<string, HealthChecker>;

export const Readiness = t.Object(
  {
    status: t.Union([t.Literal("ready"), t.Literal("not_ready")]),
    checks: t.Record(
      t.String(),
      t.String({ description: "SERVING, or what the service answered instead (NOT_SERVING, UNAVAILABLE, DEADLINE_EXCEEDED, ...)" }),
      {
        examples: [{ user: "SERVING", order: "SERVING", notification: "UNAVAILABLE" }],
      },
    ),
    down: t.Array(t.String({ examples: ["notification"] }), { description: "The services that are not SERVING." }),
  },
  { description: "Each downstream service and what its health check answered" },
);

/** Each service's health answer, and those not SERVING. */
export async function readiness(downstream: Downstream) {
  const names = Object.keys(downstream);
  const answers = await Promise.all(names.map((name) => downstream[name]!.check("", 1000)));
  const checks = Object.fromEntries(names.map((name, i) => [name, answers[i]!]));
  const down = names.filter((name) => checks[name] !== "SERVING");
  return { status: down.length ? ("not_ready" as const) : ("ready" as const), checks, down };
}

/** Liveness (/health: the process answers) and readiness (/ready: and so does everything behind it). Metrics: GATEWAY_METRICS_PORT. */
export const system = (downstream: Downstream = {}) =>
  new Elysia({ tags: ["system"] })
    .get("/health", () => ({ status: "ok" as const }), {
      response: { 200: t.Object({ status: t.Literal("ok") }, { description: "The gateway process answers" }) },
      detail: { summary: "Liveness" },
    })
    .get(
      "/ready",
      async ({ status }) => {
        const ready = await readiness(downstream);
        return ready.down.length ? status(503, ready) : ready;
      },
      {
        response: { 200: Readiness, 503: Readiness },
        detail: { summary: "Readiness", description: "200 when every service behind the gateway reports SERVING; 503 naming those that do not." },
      },
    );

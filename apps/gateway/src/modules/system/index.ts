import { Elysia, t } from "elysia";

/** Liveness: the gateway process answers. Readiness of what is behind it comes with /ready. */
export const system = () =>
  new Elysia({ tags: ["system"] }).get("/health", () => ({ status: "ok" as const }), {
    response: { 200: t.Object({ status: t.Literal("ok") }, { description: "The gateway process answers" }) },
    detail: { summary: "Liveness" },
  });

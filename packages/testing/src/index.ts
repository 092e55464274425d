export * from "./auth.ts";
export * from "./config-exit.ts";
export * from "./infra.ts";
export * from "./metrics.ts";
export * from "./proxy.ts";
export * from "./service.ts";
export * from "./system.ts";
export * from "./wait.ts";

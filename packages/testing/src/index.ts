export * from "./infra.ts";
export * from "./system.ts";
export * from "./wait.ts";
export * from "./tcp-proxy.ts";

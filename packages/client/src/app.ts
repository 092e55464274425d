// The gateway's API as one type, for the declarations a frontend installs. `App` is defined from a
// value's inferred type on purpose: the declaration emitter then writes the whole Elysia instance type
// out (routes, bodies, responses: only `elysia` types in it), where `ReturnType<typeof createApp>`
// would drag createApp's parameters (gRPC clients, the logger) and the server's packages along.
// Imported as a type only: this file's value never runs and is in no JavaScript bundle.
import type { createApp } from "@evented/gateway";
// In scope so the emitter names the type `Elysia<...>` (not `import("elysia").default<...>`).
// biome-ignore lint/correctness/noUnusedImports: used by the declaration emitter, not by this code
import type { Elysia } from "elysia";

declare function returnOf<F extends (...args: never[]) => unknown>(): ReturnType<F>;

const app = returnOf<typeof createApp>();

export type App = typeof app;

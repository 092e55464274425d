import type { Logger } from "@evented/core";
import { Elysia } from "elysia";
import type { Clients } from "./clients.ts";
import { errorsAndLogs, objectBodies, requestMeta } from "./context.ts";
import { docs } from "./docs.ts";
import { orders } from "./modules/orders/index.ts";
import { type Downstream, system } from "./modules/system/index.ts";
import { users } from "./modules/users/index.ts";

/** `downstream`: the health checks behind /ready (none: always ready, as in unit tests). */
export function createApp(clients: Clients, log: Logger, downstream: Downstream = {}) {
  return new Elysia().use(docs()).use(requestMeta).use(errorsAndLogs(log)).use(objectBodies).use(system(downstream)).use(users(clients)).use(orders(clients));
}

/** The API's type: `treaty<App>(url)` in @evented/client gives frontends typed calls. */
export type App = ReturnType<typeof createApp>;

import { swagger } from "@elysiajs/swagger";
import type { Logger } from "@evented/core";
import { Elysia } from "elysia";
import type { Clients } from "./clients.ts";
import { errorsAndLogs, objectBodies, requestMeta } from "./context.ts";
import { orders } from "./modules/orders/index.ts";
import { system, type Downstream } from "./modules/system/index.ts";
import { users } from "./modules/users/index.ts";

/** `downstream`: the health checks behind /ready (none: always ready, as in unit tests). */
export function createApp(clients: Clients, log: Logger, downstream: Downstream = {}) {
  return new Elysia()
    .use(
      swagger({
        path: "/swagger",
        documentation: {
          info: { title: "evented API", version: "0.1.0", description: "Users, orders and notifications, over an event-driven backend." },
          tags: [{ name: "users" }, { name: "orders" }, { name: "system" }],
        },
      }),
    )
    .use(requestMeta)
    .use(errorsAndLogs(log))
    .use(objectBodies)
    .use(system(downstream))
    .use(users(clients))
    .use(orders(clients));
}

/** The API's type: `treaty<App>(url)` in @evented/client gives frontends typed calls. */
export type App = ReturnType<typeof createApp>;

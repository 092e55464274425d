import type { Logger, TokenVerifier } from "@evented/core";
import { Elysia } from "elysia";
import type { Clients } from "./clients.ts";
import { errorsAndLogs, objectBodies, requestMeta } from "./context.ts";
import { docs } from "./docs.ts";
import { corsFor, securityHeaders } from "./headers.ts";
import { DEFAULT_LIMITS, type Limits, requestLimits } from "./limits.ts";
import { admin } from "./modules/admin/index.ts";
import { bearerGuard } from "./modules/auth/guard.ts";
import { auth } from "./modules/auth/index.ts";
import { notifications } from "./modules/notifications/index.ts";
import { orders } from "./modules/orders/index.ts";
import { type Downstream, system } from "./modules/system/index.ts";
import { users } from "./modules/users/index.ts";

export interface AppOptions {
  /** The health checks behind /ready (none: always ready, as in unit tests). */
  downstream?: Downstream;
  limits?: Limits;
  /** Header a trusted proxy puts the client's address in, for the rate limit. */
  clientIpHeader?: string;
  corsOrigins?: string[];
  /** Checks access tokens early (none: only the services check them, as in unit tests). */
  verifier?: Pick<TokenVerifier, "verify">;
  /** Aborted on shutdown: open event streams end (see notifications). */
  shutdown?: AbortSignal;
}

export function createApp(clients: Clients, log: Logger, options: AppOptions = {}) {
  // Every route's handler and validators compiled before it listens, not by its first request:
  // ready means ready (bench/README.md).
  return new Elysia({ precompile: true })
    .use(securityHeaders)
    .use(corsFor(options.corsOrigins ?? []))
    .use(docs())
    .use(requestMeta)
    .use(errorsAndLogs(log))
    .use(requestLimits(options.limits ?? DEFAULT_LIMITS, options.clientIpHeader))
    .use(objectBodies)
    .use(bearerGuard(options.verifier))
    .use(system(options.downstream ?? {}))
    .use(auth(clients, options.clientIpHeader))
    .use(users(clients))
    .use(orders(clients))
    .use(notifications(clients, { shutdown: options.shutdown }))
    .use(admin(clients, options.downstream ?? {}));
}

/** The API's type: `treaty<App>(url)` in @evented/client gives frontends typed calls. */
export type App = ReturnType<typeof createApp>;

import { treaty } from "@elysiajs/eden";
// Type-only: a frontend that imports this package gets the API's types, none of the server's code.
import type { App } from "@evented/gateway";

export type { App };

/** A typed client of the gateway: `api.users.post({ name, email })`, `api.orders({ id }).get()`, ... */
export function createClient(baseUrl: string, options?: Parameters<typeof treaty<App>>[1]) {
  return treaty<App>(baseUrl, options);
}

export type Client = ReturnType<typeof createClient>;

import { type Treaty, treaty } from "@elysiajs/eden";
// Type-only: a frontend that imports this package gets the API's types, none of the server's code.
import type { App } from "./app.ts";

export type { App };

/** A typed client of the gateway: `api.users.post({ name, email })`, `api.orders({ id }).get()`, ... */
export type Client = Treaty.Create<App>;

export function createClient(baseUrl: string, options?: Treaty.Config): Client {
  return treaty<App>(baseUrl, options);
}

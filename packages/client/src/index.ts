import { type Treaty, treaty } from "@elysiajs/eden";
// Type-only: a frontend that imports this package gets the API's types, none of the server's code.
import type { App } from "./app.ts";
import { authorizedFetch, type TokenOptions } from "./auth.ts";

export { createSession, LoginFailed, type Session, type TokenOptions } from "./auth.ts";
export type { App };

/** A typed client of the gateway: `api.users.post({ name, email })`, `api.orders({ id }).get()`, ... */
export type Client = Treaty.Create<App>;

/**
 * With `token` (a string, or a function returning the current one) every request carries
 * `Authorization: Bearer`; with `refresh` too, a 401 renews the token once and the request is retried.
 */
export function createClient(baseUrl: string, options: Treaty.Config & TokenOptions = {}): Client {
  // Times stay the strings the types say they are (Eden would turn ISO strings into Dates by default).
  const { token, refresh, ...rest } = { parseDate: false, ...options };
  if (token === undefined && refresh === undefined) return treaty<App>(baseUrl, rest);
  return treaty<App>(baseUrl, { ...rest, fetcher: authorizedFetch({ token, refresh }, rest.fetcher ?? fetch) as typeof fetch });
}

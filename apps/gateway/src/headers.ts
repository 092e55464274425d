// Response headers for every answer of the gateway: what a browser may do with it (OWASP's HTTP
// headers cheat sheet), and CORS for the origins a deployment names, none by default.
import { cors } from "@elysiajs/cors";
import { Elysia } from "elysia";
import { PAGE_PATHS } from "./web.ts";

/** An API answer is data: nothing in it may run, be framed, or be cached by a shared cache. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";
/** The API reference page runs its bundle, served from here (docs.ts), and calls the API. */
const DOCS_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/**
 * The web app's page (web.ts): its own bundled script and stylesheet only, no inline code, calls to
 * this origin only (the API and the live feed). Nothing else is allowed than the API's own CSP
 * needs for a page to run at all.
 */
const WEB_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const PAGES = new Set<string>(PAGE_PATHS);

export const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  // Browsers keep it only from an HTTPS answer: harmless on plain HTTP, right behind TLS.
  "strict-transport-security": "max-age=31536000; includeSubDomains",
} as const;

export const securityHeaders = new Elysia({ name: "security-headers" }).onRequest(({ request, set }) => {
  Object.assign(set.headers, SECURITY_HEADERS);
  const path = new URL(request.url).pathname;
  const docs = path.startsWith("/swagger");
  set.headers["content-security-policy"] = docs ? DOCS_CSP : PAGES.has(path) ? WEB_CSP : API_CSP;
  if (!docs) set.headers["cache-control"] = "no-store";
});

/**
 * CORS for exactly these origins (scheme://host[:port]); an empty list sends no CORS headers at all.
 * Wrapped in a plugin of our own: the API's type (the one the typed client's declarations carry)
 * then gets nothing of @elysiajs/cors's, whose type names the server runtime's `Response`.
 */
export function corsFor(origins: string[]) {
  if (origins.length === 0) return new Elysia({ name: "cors-off" });
  const allowed = new Set(origins);
  return new Elysia({ name: "cors" }).use(
    cors({
      origin: (request) => allowed.has(request.headers.get("origin") ?? ""),
      methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
      // last-event-id: a page resuming /me/notifications/stream where it left off
      allowedHeaders: ["authorization", "content-type", "idempotency-key", "x-request-id", "traceparent", "last-event-id"],
      exposeHeaders: ["x-request-id", "retry-after"],
      credentials: false,
      maxAge: 600,
    }),
  );
}

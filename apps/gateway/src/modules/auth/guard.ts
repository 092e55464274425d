import { bearerToken, type TokenVerifier, unauthenticated } from "@evented/core";
import { Elysia } from "elysia";

/** Routes that take no access token: a stale one sent along must not stop a login or a refresh. */
const OPEN = /^\/(auth\/|\.well-known\/|swagger|health$|ready$|metrics$)/;

/**
 * Rejects a bad access token before any service is asked (401, the one error body). The services
 * verify it again and decide what the caller may do; a request without a token goes on, and a
 * service that needs one answers UNAUTHENTICATED (401 too).
 */
export const bearerGuard = (verifier?: Pick<TokenVerifier, "verify">) =>
  new Elysia({ name: "bearer-guard" }).onBeforeHandle({ as: "global" }, async ({ request, path }) => {
    const header = request.headers.get("authorization");
    if (!verifier || header === null || OPEN.test(path)) return;
    const token = bearerToken(header);
    if (!token) throw unauthenticated("the Authorization header must be `Bearer <access token>`");
    await verifier.verify(token);
  });

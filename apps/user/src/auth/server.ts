import { type CallerAuth, type Logger, unaryHandlers } from "@evented/core";
import type { authV1 } from "@evented/proto";
import { toProto } from "../server.ts";
import type { Accounts } from "./accounts.ts";
import type { KeyRing } from "./keys.ts";

/** What may be called without an access token: everything that gets one, or works from an emailed link. */
export const OPEN_AUTH_METHODS = ["login", "refresh", "logout", "getJwks", "verifyEmail", "requestPasswordReset", "confirmPasswordReset"] as const;

/** gRPC <-> accounts. */
export function authServer(accounts: Accounts, keys: KeyRing, log: Logger, auth: CallerAuth): authV1.AuthServiceServer {
  return unaryHandlers<authV1.AuthServiceServer>(
    log,
    {
      login: async (req, ctx) => ({ session: await accounts.login(req.email, req.password, ctx.clientIp) }),
      refresh: async (req) => ({ session: await accounts.sessions.refresh(req.refreshToken) }),
      logout: async (req) => {
        await accounts.sessions.logout(req.refreshToken);
        return {};
      },
      me: async (_req, ctx) => ({ user: toProto(await accounts.me(ctx)) }),
      changePassword: async (req, ctx) => {
        await accounts.changePassword(ctx, req.currentPassword, req.newPassword);
        return {};
      },
      getJwks: async () => ({ jwksJson: JSON.stringify(keys.jwks()) }),
      verifyEmail: async (req, ctx) => ({ user: toProto(await accounts.verifyEmail(req.token, ctx)) }),
      requestPasswordReset: async (req, ctx) => {
        await accounts.requestPasswordReset(req.email, ctx);
        return {};
      },
      confirmPasswordReset: async (req) => {
        await accounts.confirmPasswordReset(req.token, req.newPassword);
        return {};
      },
    },
    { ...auth, open: OPEN_AUTH_METHODS },
  );
}

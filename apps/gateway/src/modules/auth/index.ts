import { Elysia, t } from "elysia";
import type { Clients } from "../../clients.ts";
import { requestMeta } from "../../context.ts";
import { errorResponses } from "../../errors.ts";
import { clientAddress } from "../../limits.ts";
import { toUser, User } from "../users/model.ts";
import {
  Accepted,
  ChangePasswordBody,
  Jwks,
  LoginBody,
  RefreshBody,
  ResetConfirmBody,
  ResetRequestBody,
  Session,
  toSession,
  VerifyEmailBody,
} from "./model.ts";

const open = { security: [] };

// Routes that take no access token pass none on: an expired one must not spoil a refresh.
export const auth = ({ auth }: Clients, clientIpHeader?: string) =>
  new Elysia({ tags: ["auth"] })
    .use(requestMeta)
    // The address the login limits count, as the rate limit sees it (limits.ts).
    .derive(({ meta, request, server }) => ({ anonymous: { ...meta, authorization: undefined, clientIp: clientAddress(request, server, clientIpHeader) } }))
    .post("/auth/login", async ({ body, anonymous }) => toSession((await auth.login({ email: body.email, password: body.password }, anonymous)).session), {
      body: LoginBody,
      // 429 (with Retry-After) comes from the docs, as for every route: here also for failed logins.
      response: { 200: Session, ...errorResponses(400, 401, 500, 503, 504) },
      detail: {
        ...open,
        summary: "Log in",
        description:
          "401 for an unknown email and a wrong password alike. Failures are limited per account and per client address: past the limit, 429 with Retry-After, and each further failure doubles the wait.",
      },
    })
    .post("/auth/refresh", async ({ body, anonymous }) => toSession((await auth.refresh({ refreshToken: body.refresh_token }, anonymous)).session), {
      body: RefreshBody,
      response: { 200: Session, ...errorResponses(400, 401, 500, 503, 504) },
      detail: {
        ...open,
        summary: "Renew a session",
        description:
          "Answers a new access token and a new refresh token; the one sent is used up. Sending a used one again ends the session (401), as a stolen token would be.",
      },
    })
    .post(
      "/auth/logout",
      async ({ body, anonymous, status }) => {
        await auth.logout({ refreshToken: body.refresh_token }, anonymous);
        return status(204, undefined);
      },
      {
        body: RefreshBody,
        response: { 204: t.Void({ description: "The session ended; its refresh token no longer works" }), ...errorResponses(400, 500, 503, 504) },
        detail: {
          ...open,
          summary: "Log out",
          description: "Ends the session of this refresh token. Access tokens already issued stay valid until they expire (minutes).",
        },
      },
    )
    .post("/auth/verify-email", async ({ body, anonymous }) => toUser((await auth.verifyEmail({ token: body.token }, anonymous)).user), {
      body: VerifyEmailBody,
      response: { 200: User, ...errorResponses(400, 409, 500, 503, 504) },
      detail: {
        ...open,
        summary: "Verify an email address",
        description: "With the token of the emailed link; once only, before it expires (24 h). A new address then becomes the user's email.",
      },
    })
    .post(
      "/auth/password-reset",
      async ({ body, anonymous, status }) => {
        await auth.requestPasswordReset({ email: body.email }, anonymous);
        return status(202, { status: "accepted" as const, message: "if an account has this email, a reset link is on its way" });
      },
      {
        body: ResetRequestBody,
        response: { 202: Accepted, ...errorResponses(400, 500, 503, 504) },
        detail: {
          ...open,
          summary: "Ask for a password reset",
          description: "Always 202: the answer does not say whether the address has an account. The link is valid for an hour, once.",
        },
      },
    )
    .post(
      "/auth/password-reset/confirm",
      async ({ body, anonymous, status }) => {
        await auth.confirmPasswordReset({ token: body.token, newPassword: body.new_password }, anonymous);
        return status(204, undefined);
      },
      {
        body: ResetConfirmBody,
        response: { 204: t.Void({ description: "The password is set; every session of the account has ended" }), ...errorResponses(400, 500, 503, 504) },
        detail: {
          ...open,
          summary: "Set a new password",
          description: "With the token of a reset or invitation link; once only. Ends every session of the account.",
        },
      },
    )
    .get(
      "/.well-known/jwks.json",
      async ({ anonymous, set }) => {
        set.headers["cache-control"] = "public, max-age=300";
        return JSON.parse((await auth.getJwks({}, anonymous)).jwksJson) as typeof Jwks.static;
      },
      {
        response: { 200: Jwks, ...errorResponses(500, 503, 504) },
        detail: { ...open, tags: ["system"], summary: "Public keys of access tokens", description: "A JWKS; verify a token with the key its `kid` names." },
      },
    )
    .get("/me", async ({ meta }) => toUser((await auth.me({}, meta)).user), {
      response: { 200: User, ...errorResponses(400, 401, 500, 503, 504) },
      detail: { summary: "The signed-in user" },
    })
    .post(
      "/me/password",
      async ({ body, meta, status }) => {
        await auth.changePassword({ currentPassword: body.current_password, newPassword: body.new_password }, meta);
        return status(204, undefined);
      },
      {
        body: ChangePasswordBody,
        response: { 204: t.Void({ description: "Changed; every session has ended: log in again" }), ...errorResponses(400, 401, 500, 503, 504) },
        detail: {
          summary: "Change the password",
          description:
            "Needs the current one too; wrong ones count with the account's failed logins (429 with Retry-After past the limit). Ends every session of the account (refresh tokens); access tokens lapse within minutes.",
        },
      },
    );

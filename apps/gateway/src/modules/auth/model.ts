import { t } from "elysia";
import { Email } from "../shared.ts";
import { Password } from "../users/model.ts";

const Opaque = (name: string, example: string) => t.String({ minLength: 1, maxLength: 512, error: `${name} is required`, examples: [example] });
const RefreshToken = Opaque("refresh_token", "mS3m1pQ0dVx2b8cY2kF1rA7tLw9nE4hJ6oZ5uI3yT0g");
const LinkToken = Opaque("token", "Qm9vNn3oL2y6W8a1vX4tR7cE0pS5dK9hJ3uF6gZ2iYc");

export const LoginBody = t.Object(
  {
    email: t.String({ minLength: 1, maxLength: 320, error: "email is required", examples: ["john@example.com"] }),
    password: t.String({ maxLength: 1024, error: "password is required", examples: ["correct horse battery staple"] }),
  },
  { title: "Login", examples: [{ email: "john@example.com", password: "correct horse battery staple" }] },
);
export const RefreshBody = t.Object(
  { refresh_token: RefreshToken },
  { title: "Refresh", examples: [{ refresh_token: "mS3m1pQ0dVx2b8cY2kF1rA7tLw9nE4hJ6oZ5uI3yT0g" }] },
);
export const VerifyEmailBody = t.Object({ token: LinkToken }, { title: "VerifyEmail", examples: [{ token: "Qm9vNn3oL2y6W8a1vX4tR7cE0pS5dK9hJ3uF6gZ2iYc" }] });
export const ResetRequestBody = t.Object({ email: Email }, { title: "PasswordResetRequest", examples: [{ email: "john@example.com" }] });
export const ResetConfirmBody = t.Object(
  { token: LinkToken, new_password: Password },
  { title: "PasswordResetConfirm", examples: [{ token: "Qm9vNn3oL2y6W8a1vX4tR7cE0pS5dK9hJ3uF6gZ2iYc", new_password: "a new long passphrase" }] },
);
export const ChangePasswordBody = t.Object(
  { current_password: t.String({ maxLength: 1024, examples: ["correct horse battery staple"] }), new_password: Password },
  { title: "ChangePassword", examples: [{ current_password: "correct horse battery staple", new_password: "a new long passphrase" }] },
);

export const Session = t.Object(
  {
    access_token: t.String({
      description: "A JWT (EdDSA); send it as `Authorization: Bearer <access_token>`",
      examples: ["eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiIuLi4ifQ.c2ln"],
    }),
    token_type: t.Literal("Bearer"),
    expires_in: t.Integer({ description: "Seconds the access token is valid", examples: [900] }),
    refresh_token: t.String({
      description: "Opaque, single use: POST /auth/refresh answers the next one",
      examples: ["mS3m1pQ0dVx2b8cY2kF1rA7tLw9nE4hJ6oZ5uI3yT0g"],
    }),
    refresh_expires_in: t.Integer({ description: "Seconds the refresh token is valid", examples: [2592000] }),
  },
  { description: "A session: an access token and the refresh token that renews it" },
);

export const Jwks = t.Object(
  { keys: t.Array(t.Record(t.String(), t.Unknown()), { examples: [[{ kty: "OKP", crv: "Ed25519", kid: "9r5L…", x: "11qY…", alg: "EdDSA", use: "sig" }]] }) },
  { description: "The public keys that verify access tokens (RFC 7517); more than one while keys rotate" },
);

export const Accepted = t.Object(
  { status: t.Literal("accepted"), message: t.String({ examples: ["if an account has this email, a reset link is on its way"] }) },
  { description: "The same answer whether or not the address has an account" },
);

export function toSession(s: { accessToken: string; expiresIn: number; refreshToken: string; refreshExpiresIn: number } | undefined): typeof Session.static {
  if (!s) throw new Error("service answered without a session");
  return { access_token: s.accessToken, token_type: "Bearer", expires_in: s.expiresIn, refresh_token: s.refreshToken, refresh_expires_in: s.refreshExpiresIn };
}

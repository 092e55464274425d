import { ConfigError, emailKeyConfig, int, optional, parseJwks, tokenClaimsConfig } from "@evented/core";

type Env = Record<string, string | undefined>;

/** The user service's sign-in settings; production refuses to start without its keys. */
export function userAuthConfig(env: Env) {
  const keys = optional(env, "AUTH_SIGNING_KEYS");
  if (!keys && env.NODE_ENV === "production") {
    throw new ConfigError("AUTH_SIGNING_KEYS is required in production: a JWKS of private Ed25519 keys (bun run admin new-key prints one)");
  }
  const { issuer, audience } = tokenClaimsConfig(env);
  return {
    issuer,
    audience,
    signingKeys: keys === undefined ? undefined : checkPrivateKeys(parseJwks("AUTH_SIGNING_KEYS", keys)),
    accessTtlS: int(env, "AUTH_ACCESS_TTL_S", 900, { min: 10, max: 3600 }),
    refreshTtlS: int(env, "AUTH_REFRESH_TTL_S", 30 * 86400, { min: 60 }),
    limits: {
      maxPerAccount: int(env, "AUTH_LOGIN_MAX_FAILURES", 5, { min: 1 }),
      maxPerAddress: int(env, "AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS", 50, { min: 1 }),
      windowS: int(env, "AUTH_LOGIN_WINDOW_S", 900, { min: 1 }),
      blockS: int(env, "AUTH_LOGIN_BLOCK_S", 30, { min: 1 }),
    },
    emailKey: emailKeyConfig(env),
  };
}

/** Every key must be a private Ed25519 JWK with a kid: checked at start-up, before anything runs. */
function checkPrivateKeys(jwks: { keys: Record<string, unknown>[] }) {
  if (jwks.keys.length === 0) throw new ConfigError("AUTH_SIGNING_KEYS must hold at least one key");
  jwks.keys.forEach((k, i) => {
    if (k.kty !== "OKP" || k.crv !== "Ed25519" || typeof k.d !== "string" || typeof k.x !== "string" || typeof k.kid !== "string") {
      throw new ConfigError(`AUTH_SIGNING_KEYS: key ${i} must be a private Ed25519 JWK (kty OKP, crv Ed25519, x, d) with a kid`);
    }
  });
  return jwks;
}

// Who is calling: access tokens (JWTs signed by the user service, RFC 8725's rules) verified by
// every service from the call's metadata, and the access rules built on the verified caller.

import { authV1 } from "@evented/proto";
import type { Metadata } from "@grpc/grpc-js";
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey, jwtVerify } from "jose";
import { ConfigError, optional, str } from "./config.ts";
import { AppError, notFound, status } from "./errors.ts";
import { connectService } from "./grpc-client.ts";

export const ROLES = ["customer", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** Password length, NIST SP 800-63B: at least 8; long passphrases welcome, capped so hashing stays cheap. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

/** The verified caller of a request. */
export interface Caller {
  userId: string;
  role: Role;
}

/** The one signing algorithm (Ed25519); nothing else is accepted, `none` least of all. */
export const TOKEN_ALG = "EdDSA";

export const unauthenticated = (message = "a valid access token is required") => new AppError(status.UNAUTHENTICATED, message);
export const permissionDenied = (message: string) => new AppError(status.PERMISSION_DENIED, message);

type Env = Record<string, string | undefined>;

/** What every service needs to verify tokens: who issues them, for whom, and optionally the keys. */
export function authConfig(env: Env) {
  const jwks = optional(env, "AUTH_JWKS");
  return {
    ...tokenClaimsConfig(env),
    /** The public keys as a JWKS (JSON); unset: asked of the user service (GetJwks), cached, asked again for an unknown kid. */
    jwks: jwks === undefined ? undefined : parseJwks("AUTH_JWKS", jwks),
  };
}
export type AuthConfig = ReturnType<typeof authConfig>;

/** Who issues access tokens and for whom: what they must say in `iss` and `aud`. */
export function tokenClaimsConfig(env: Env) {
  return { issuer: str(env, "AUTH_ISSUER", "urn:evented:user"), audience: str(env, "AUTH_AUDIENCE", "urn:evented:api") };
}

export function parseJwks(name: string, value: string): JSONWebKeySet {
  try {
    const parsed = JSON.parse(value) as JSONWebKeySet;
    if (!Array.isArray(parsed.keys)) throw new Error("no keys");
    return parsed;
  } catch {
    throw new ConfigError(`${name} must be a JSON Web Key Set ({"keys":[...]})`);
  }
}

/** How many verified tokens a TokenVerifier remembers (a few MB at most). */
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * Verifies access tokens against a key set that it fetches lazily, again when a token names a kid
 * it does not know (a rotation; at most once per `refetchMs`, so junk kids cannot make it hammer
 * the user service: such a token waits for the next allowed fetch), and every `maxAgeMs` (a retired key stops verifying). While the user service
 * is unreachable, the last key set it gave stays in use.
 */
export class TokenVerifier {
  private keys?: JWTVerifyGetKey;
  private fetchedAt = 0;
  private fetching?: Promise<void>;
  /**
   * Tokens verified lately, by their whole text (signature included, so only that exact token
   * matches), with their caller, until when the answer stands (the token's `exp`) and the kid that
   * signed it. A fetched key set keeps the answers of the keys it still has and drops the others,
   * and a remembered answer is given only from a key set fetched less than `maxAgeMs` ago, so a
   * retired key's tokens stop passing when they would without this; the keys kept do not make every
   * active client's token be checked again every `maxAgeMs` (at 855 orders/s over 10,000 customers
   * that was a burst of 10,000 checks in each of the gateway and the order service). A client sends
   * its token with every request and the gateway and the service owning the data both check it; a
   * signature check was ~7% of each one's CPU on GET /users/{id}.
   */
  private readonly verified = new Map<string, { caller: Caller; until: number; kid: string | undefined }>();

  constructor(
    private readonly settings: { issuer: string; audience: string },
    private readonly fetchJwks: () => Promise<JSONWebKeySet>,
    private readonly refetchMs = 1000,
    /** Asked again this often anyway, so a key taken out of the set stops being trusted. */
    private readonly maxAgeMs = 300_000,
    private readonly tokensKept = VERIFIED_TOKENS_KEPT,
  ) {}

  /** The caller a token names; UNAUTHENTICATED for anything wrong with it, saying no more than needed. */
  async verify(token: string): Promise<Caller> {
    const known = this.verified.get(token);
    if (known && Date.now() < known.until) {
      if (Date.now() - this.fetchedAt > this.maxAgeMs) await this.refresh().catch(() => {}); // the keys kept while it is unreachable
      if (this.verified.delete(token)) {
        // Kept as the newest (a Map keeps insertion order): the least recently used goes first.
        this.verified.set(token, known);
        return known.caller;
      }
    }
    if (known) this.verified.delete(token);
    const { payload, protectedHeader } = await jwtVerify(token, (header, t) => this.key(header, t), {
      issuer: this.settings.issuer,
      audience: this.settings.audience,
      algorithms: [TOKEN_ALG],
      requiredClaims: ["sub", "exp", "iat", "jti"],
      typ: "at+jwt",
      clockTolerance: 5,
    }).catch((err: unknown) => {
      if (err instanceof errors.JOSEError)
        throw unauthenticated(err instanceof errors.JWTExpired ? "the access token has expired" : "the access token is not valid");
      throw err; // the key set could not be fetched: an outage, not the caller's fault
    });
    const role = payload.role as Role;
    if (typeof payload.sub !== "string" || !ROLES.includes(role)) throw unauthenticated("the access token is not valid");
    const caller = { userId: payload.sub, role };
    // Bounded: when full, the entry used least recently goes.
    if (this.verified.size >= this.tokensKept) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { caller, until: payload.exp! * 1000, kid: protectedHeader.kid });
    return caller;
  }

  /**
   * Fetches the key set now, in the background, so the first requests after a start do not wait
   * for it; if the user service is not up yet, the first token to verify asks again.
   */
  prefetch(): void {
    this.refresh().catch(() => {});
  }

  private async key(...args: Parameters<JWTVerifyGetKey>) {
    if (!this.keys || Date.now() - this.fetchedAt > this.maxAgeMs) await this.refresh().catch((err) => (this.keys ? undefined : Promise.reject(err)));
    try {
      return await this.keys!(...args);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      // An unknown kid: a rotation, or junk. Ask again, but not sooner than `refetchMs` after the
      // last ask (waiting, not refusing: a token signed just after a rotation is valid), and not at
      // all if another request asked since this one missed.
      const missedAt = Date.now();
      const wait = this.fetchedAt + this.refetchMs - missedAt;
      if (wait > 0) await Bun.sleep(wait);
      if (this.fetchedAt < missedAt) await this.refresh();
      return this.keys!(...args);
    }
  }

  private refresh(): Promise<void> {
    this.fetching ??= this.fetchJwks()
      .then((jwks) => {
        this.keys = createLocalJWKSet(jwks);
        this.fetchedAt = Date.now();
        // A key may have gone: its tokens are checked against the new set (and refused).
        const kids = new Set(jwks.keys.map((k) => k.kid));
        for (const [token, { kid }] of this.verified) if (!kids.has(kid)) this.verified.delete(token);
      })
      .finally(() => (this.fetching = undefined));
    return this.fetching;
  }
}

/** The bearer token of an `authorization` value, or undefined. */
export function bearerToken(authorization: string | undefined | null): string | undefined {
  const match = authorization?.match(/^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)$/i);
  return match?.[1];
}

export function authorizationOf(metadata: Metadata | undefined): string | undefined {
  const value = metadata?.get("authorization")[0];
  return value === undefined ? undefined : value.toString();
}

/** The verified caller, or UNAUTHENTICATED. */
export function requireCaller(ctx: { caller?: Caller }): Caller {
  if (!ctx.caller) throw unauthenticated();
  return ctx.caller;
}

export function requireAdmin(ctx: { caller?: Caller }): Caller {
  const caller = requireCaller(ctx);
  if (caller.role !== "admin") throw permissionDenied("only an admin may do this");
  return caller;
}

/** Whether the caller may see what belongs to `ownerId`: its owner, or an admin. */
export const mayAccess = (caller: Caller, ownerId: string) => caller.role === "admin" || caller.userId === ownerId.toLowerCase();

/** Another user's resource answers NOT_FOUND, as a missing one would, so ids cannot be probed. */
export function ensureAccess(ctx: { caller?: Caller }, ownerId: string, what: string): Caller {
  const caller = requireCaller(ctx);
  if (!mayAccess(caller, ownerId)) throw notFound(`${what} not found`);
  return caller;
}

/** How a gRPC server learns its caller: the verifier, and the methods that also take calls without a token. */
export interface CallerAuth<M extends string = string> {
  verifier: Pick<TokenVerifier, "verify">;
  open?: readonly M[];
}

/**
 * Sets `ctx.caller` from the call's bearer token. Without `auth` (unit tests of handlers) nothing
 * is checked. A token that is present is always verified, on open methods too.
 */
export async function authenticate(auth: CallerAuth | undefined, method: string, ctx: { authorization?: string; caller?: Caller }): Promise<void> {
  if (!auth) return;
  if (ctx.authorization === undefined) {
    if (auth.open?.includes(method)) return;
    throw unauthenticated();
  }
  const token = bearerToken(ctx.authorization);
  if (!token) throw unauthenticated("the authorization metadata must be `Bearer <access token>`");
  ctx.caller = await auth.verifier.verify(token);
}

/**
 * The verifier of a service that does not sign: the key set from AUTH_JWKS when configured, else
 * asked of the user service (auth.v1.AuthService/GetJwks, which needs no token).
 */
export function connectVerifier(config: AuthConfig, userServiceUrl: string): { verifier: TokenVerifier; close(): void } {
  if (config.jwks) {
    const jwks = config.jwks;
    return { verifier: new TokenVerifier(config, async () => jwks), close() {} };
  }
  const client = connectService(authV1.AuthServiceClient, userServiceUrl, { deadlineMs: 2000, retryable: ["GetJwks"] });
  const fetchJwks = async () => JSON.parse((await client.getJwks({})).jwksJson) as JSONWebKeySet;
  const verifier = new TokenVerifier(config, fetchJwks);
  verifier.prefetch();
  return { verifier, close: () => client.close() };
}

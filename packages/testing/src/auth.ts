// Accounts for end-to-end tests: an admin made straight in the user service's database (as
// `bun run admin create` does), users signed up through the gateway, and fetch with their token.
import { importJWK, type JWK, SignJWT } from "jose";
import postgres from "postgres";

export interface Account {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** fetch with `Authorization: Bearer <accessToken>`. */
  fetch: typeof fetch;
}

let seq = 0;
export const testEmail = (tag = "user") => `${tag}.${Date.now().toString(36)}.${++seq}@example.com`;
export const testPassword = () => `pw ${crypto.randomUUID()}`;

/** fetch with this bearer token unless the request names its own authorization. */
export function fetchWithToken(token: string): typeof fetch {
  const wrapped = (input: string | URL | Request, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
  return Object.assign(wrapped, { preconnect: fetch.preconnect }) as typeof fetch;
}

export async function login(gatewayUrl: string, email: string, password: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gatewayUrl}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`login of ${email} failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { access_token: string; refresh_token: string; expires_in: number };
}

/** An admin, inserted in the user database with an argon2id hash, then logged in through the gateway. */
export async function createAdmin(userDbUrl: string, gatewayUrl: string, email = testEmail("admin")): Promise<Account> {
  const password = testPassword();
  const id = Bun.randomUUIDv7();
  const sql = postgres(userDbUrl, { max: 1, onnotice: () => {} });
  try {
    const hash = await Bun.password.hash(password, { algorithm: "argon2id" });
    await sql`insert into users (id, name, email, role, password_hash, email_verified_at) values (${id}, 'Test Admin', ${email}, 'admin', ${hash}, now())`;
  } finally {
    await sql.end();
  }
  const session = await login(gatewayUrl, email, password);
  return { id, email, password, accessToken: session.access_token, refreshToken: session.refresh_token, fetch: fetchWithToken(session.access_token) };
}

/** A customer who signed up through the gateway (POST /users with a password) and logged in. */
export async function signUp(
  gatewayUrl: string,
  fields: { name?: string; email?: string; phone?: string; password?: string } = {},
): Promise<Account & { user: Record<string, unknown> }> {
  const email = fields.email ?? testEmail();
  const password = fields.password ?? testPassword();
  const res = await fetch(`${gatewayUrl}/users`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: fields.name ?? "Test User", email, password, ...(fields.phone && { phone: fields.phone }) }),
  });
  if (res.status !== 201) throw new Error(`sign-up of ${email} failed: ${res.status} ${await res.text()}`);
  const user = (await res.json()) as { id: string } & Record<string, unknown>;
  const session = await login(gatewayUrl, email, password);
  return {
    id: user.id,
    user,
    email,
    password,
    accessToken: session.access_token,
    refreshToken: session.refresh_token,
    fetch: fetchWithToken(session.access_token),
  };
}

/** The signing key the user service generated and keeps in its database (development mode): what tests forge with. */
export async function systemSigningKey(userDbUrl: string): Promise<JWK> {
  const sql = postgres(userDbUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ private_jwk: JWK }[]>`select private_jwk from signing_keys order by created_at desc limit 1`;
    if (!row) throw new Error("the user service has no signing key yet");
    return row.private_jwk;
  } finally {
    await sql.end();
  }
}

/**
 * An access token as the user service would sign it (issued an hour ago, valid 10 more minutes),
 * with `key`; each option changes one thing, so a test can forge a token with exactly one fault.
 */
export async function forgeAccessToken(
  key: JWK | CryptoKey,
  claims: { sub: string; role: string },
  o: { iss?: string; aud?: string; exp?: number; kid?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const signWith = "kty" in key ? await importJWK(key, "EdDSA") : key;
  const kid = o.kid ?? ("kty" in key ? key.kid : undefined);
  return new SignJWT({ role: claims.role })
    .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", ...(kid ? { kid } : {}) })
    .setSubject(claims.sub)
    .setIssuer(o.iss ?? "urn:evented:user")
    .setAudience(o.aud ?? "urn:evented:api")
    .setIssuedAt(now - 3600)
    .setExpirationTime(o.exp ?? now + 600)
    .setJti(crypto.randomUUID())
    .sign(signWith);
}

// The keys that sign access tokens. Production: AUTH_SIGNING_KEYS, a JWKS of private Ed25519 keys,
// each with its `kid`; the first signs, all are published, so a new key goes first and the old one
// stays until the tokens it signed have expired (rotation without signing anyone out). Development:
// a key generated on first start and kept in this service's database, shared by its replicas.
import { ConfigError, type Executor, type Logger, TOKEN_ALG } from "@evented/core";
import { desc, sql } from "drizzle-orm";
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK } from "jose";
import { signingKeys } from "./tables.ts";

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export class KeyRing {
  constructor(readonly keys: SigningKey[]) {
    if (keys.length === 0) throw new Error("a key ring needs at least one key");
  }

  get signer(): SigningKey {
    return this.keys[0]!;
  }

  /** The public half of every key: what verifiers fetch. */
  jwks(): JSONWebKeySet {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }
}

/** Turns private JWKs into signing keys, checking each is an Ed25519 private key with a kid. */
export async function keysFromJwks(name: string, jwks: { keys?: unknown }): Promise<SigningKey[]> {
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new ConfigError(`${name} must be a JWKS with at least one private key`);
  return Promise.all(
    (jwks.keys as JWK[]).map(async (jwk, i) => {
      if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !jwk.d || !jwk.x || !jwk.kid) {
        throw new ConfigError(`${name}: key ${i} must be a private Ed25519 JWK (kty OKP, crv Ed25519, d, x) with a kid`);
      }
      const privateKey = (await importJWK(jwk, TOKEN_ALG)) as CryptoKey;
      const { d: _private, ...pub } = jwk;
      return { kid: jwk.kid, privateKey, publicJwk: { ...pub, alg: TOKEN_ALG, use: "sig" } };
    }),
  );
}

/** A new Ed25519 key as a private JWK with its thumbprint (RFC 7638) as kid. */
export async function generateSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(TOKEN_ALG, { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: TOKEN_ALG };
}

export async function loadKeyRing(configured: { keys: unknown[] } | undefined, db: Executor, log: Logger): Promise<KeyRing> {
  if (configured) return new KeyRing(await keysFromJwks("AUTH_SIGNING_KEYS", configured));
  const rows = await db.transaction(async (tx) => {
    // Replicas starting together on a fresh database: one generates, the others wait and read it.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('signing_keys'))`);
    const found = await tx.select().from(signingKeys).orderBy(desc(signingKeys.createdAt));
    if (found.length > 0) return found;
    const jwk = await generateSigningJwk();
    const created = await tx.insert(signingKeys).values({ kid: jwk.kid!, privateJwk: jwk }).returning();
    log.warn({ kid: jwk.kid }, "development signing key generated and kept in the database; set AUTH_SIGNING_KEYS in production");
    return created;
  });
  return new KeyRing(await keysFromJwks("signing_keys", { keys: rows.map((r) => r.privateJwk) }));
}

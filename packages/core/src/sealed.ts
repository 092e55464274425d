// Tokens that travel inside events (email links) are sealed with a key only their sender and
// their one reader hold: AES-256-GCM, with the context (user id, purpose) as additional data, so a
// sealed token cannot be replayed for another user or purpose.
import { ConfigError, optional } from "./config.ts";

/** Development only, and refused in production: every process of a dev system agrees on it without set-up. */
const DEV_EMAIL_KEY = "ZGV2ZWxvcG1lbnQtb25seS1lbWFpbC1rZXktMzJieXQ=";

/** AUTH_EMAIL_KEY: 32 random bytes, base64 (`openssl rand -base64 32`); required in production. */
export function emailKeyConfig(env: Record<string, string | undefined>): Uint8Array<ArrayBuffer> {
  const value = optional(env, "AUTH_EMAIL_KEY");
  if (!value && env.NODE_ENV === "production") throw new ConfigError("AUTH_EMAIL_KEY is required in production (32 random bytes, base64)");
  const key = Buffer.from(value ?? DEV_EMAIL_KEY, "base64");
  if (key.length !== 32) throw new ConfigError("AUTH_EMAIL_KEY must be 32 bytes, base64-encoded");
  return new Uint8Array(key);
}

const importKey = (raw: Uint8Array<ArrayBuffer>) => crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);

export async function seal(key: Uint8Array<ArrayBuffer>, plaintext: string, context: string): Promise<Buffer> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = new TextEncoder().encode(plaintext);
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) }, await importKey(key), data);
  return Buffer.concat([iv, new Uint8Array(sealed)]);
}

/** Throws when the key or the context is not the one it was sealed with. */
export async function unseal(key: Uint8Array<ArrayBuffer>, sealed: Uint8Array, context: string): Promise<string> {
  const bytes = new Uint8Array(sealed);
  const params = { name: "AES-GCM", iv: bytes.slice(0, 12), additionalData: new TextEncoder().encode(context) };
  const plain = await crypto.subtle.decrypt(params, await importKey(key), bytes.slice(12));
  return new TextDecoder().decode(plain);
}

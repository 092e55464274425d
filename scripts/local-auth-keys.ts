// `bun run start` runs the apps in production mode, where the user service refuses to start without
// AUTH_SIGNING_KEYS and the worker without AUTH_EMAIL_KEY. On one machine the launcher stands in for
// the secret store: it makes both once and keeps them in DATA_DIR/auth-keys.json (mode 0600,
// git-ignored with the rest of .data/). Set the variables to use your own.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateSigningJwk } from "../apps/user/src/auth/keys.ts";

export async function localAuthKeys(env: Record<string, string | undefined>, dataDir: string): Promise<Record<string, string>> {
  if (env.AUTH_SIGNING_KEYS && env.AUTH_EMAIL_KEY) return {};
  const file = join(dataDir, "auth-keys.json");
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    const keys = {
      AUTH_SIGNING_KEYS: JSON.stringify({ keys: [await generateSigningJwk()] }),
      AUTH_EMAIL_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64"),
    };
    writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  const kept = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
  return { AUTH_SIGNING_KEYS: env.AUTH_SIGNING_KEYS || kept.AUTH_SIGNING_KEYS!, AUTH_EMAIL_KEY: env.AUTH_EMAIL_KEY || kept.AUTH_EMAIL_KEY! };
}

// The secrets docker-compose.yml takes from ./.env, made here for one run as `bun run compose:env`
// makes them: a random password for each variable .env.example leaves empty, and the sign-in keys.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "@evented/testing";
import { generateSigningJwk } from "../apps/user/src/auth/keys.ts";

/** The names .env.example leaves empty: every password the compose files need. */
export const SECRETS = readFileSync(join(ROOT, ".env.example"), "utf8")
  .split("\n")
  .flatMap((line) => /^([A-Z_]+)=$/.exec(line)?.[1] ?? []);

export async function composeSecrets(): Promise<Record<string, string>> {
  return {
    ...Object.fromEntries(SECRETS.map((name) => [name, `p${crypto.randomUUID().replaceAll("-", "")}`])),
    // Not passwords: a JWKS of signing keys and a 32-byte sealing key, as the services take them.
    AUTH_SIGNING_KEYS: JSON.stringify({ keys: [await generateSigningJwk()] }),
    AUTH_EMAIL_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64"),
  };
}

/** What `docker-compose config` renders of docker-compose.yml with the cluster override, given `secrets` as .env would. */
export async function clusterComposeConfig(secrets: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn(["docker-compose", "-f", "docker-compose.yml", "-f", "docker-compose.cluster.yml", "config"], {
    cwd: ROOT,
    env: { ...process.env, ...secrets },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, out, err };
}

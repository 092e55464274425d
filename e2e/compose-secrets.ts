// The secrets docker-compose.yml takes from ./.env, made here for one run: every variable
// .env.example leaves empty, each with a random password of the shape it documents.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "@evented/testing";

/** The names .env.example lists: every secret the compose files need. */
export const SECRETS = readFileSync(join(ROOT, ".env.example"), "utf8")
  .split("\n")
  .flatMap((line) => /^([A-Z_]+)=$/.exec(line)?.[1] ?? []);

export const composeSecrets = (): Record<string, string> => Object.fromEntries(SECRETS.map((name) => [name, `p${crypto.randomUUID().replaceAll("-", "")}`]));

import { type Executor, type Logger, type Outbox, TokenVerifier } from "@evented/core";
import type { Config } from "../config.ts";
import { Accounts } from "./accounts.ts";
import { EmailTokens } from "./email-tokens.ts";
import { loadKeyRing } from "./keys.ts";
import { LoginLimits } from "./login-limits.ts";
import { Sessions } from "./sessions.ts";

/** Everything sign-in needs, from the config: keys, sessions, limits, email tokens, and the verifier of this service's own calls. */
export async function startAuth(config: Config["auth"], db: Executor, outbox: Outbox, log: Logger) {
  const keys = await loadKeyRing(config.signingKeys, db, log);
  const sessions = new Sessions(db, keys, config);
  const emails = new EmailTokens(outbox, config.emailKey);
  const accounts = new Accounts(db, outbox, sessions, new LoginLimits(db, config.limits), emails);
  const verifier = new TokenVerifier(config, async () => keys.jwks());
  log.info({ kids: keys.keys.map((k) => k.kid) }, "signing keys loaded");
  return { keys, accounts, emails, auth: { verifier } };
}

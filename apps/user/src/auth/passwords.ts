// Passwords after NIST SP 800-63B §3.1.1.2: at least 8 characters, long passphrases welcome (any
// characters, spaces included, no composition rules), hashed with argon2id; only the length is capped,
// so a megabyte "password" cannot cost a megabyte of hashing.
import { invalid, PASSWORD_MAX, PASSWORD_MIN } from "@evented/core";

export function checkPassword(password: string, field = "password"): string {
  const length = [...password.normalize("NFC")].length;
  if (length < PASSWORD_MIN) throw invalid(`${field} must be at least ${PASSWORD_MIN} characters`);
  if (length > PASSWORD_MAX) throw invalid(`${field} must be at most ${PASSWORD_MAX} characters`);
  return password.normalize("NFC");
}

export const hashPassword = (password: string) => Bun.password.hash(password, { algorithm: "argon2id" });

// A hash of nothing anyone knows, checked when the account does not exist, so that an unknown
// email costs what a wrong password costs.
let dummy: Promise<string> | undefined;

/** Whether `password` matches `hash`; with no hash (no such account, or invited) it still does the work and says no. */
export async function verifyPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  if (!hash) {
    dummy ??= hashPassword(crypto.randomUUID());
    await Bun.password.verify(password, await dummy);
    return false;
  }
  return Bun.password.verify(password, hash);
}

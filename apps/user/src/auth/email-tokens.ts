// Single-use, expiring tokens sent by email (verify an address, reset a password, accept an
// invitation). The database keeps their SHA-256 only; the event that asks the notification worker
// to send one carries it sealed with AUTH_EMAIL_KEY (see packages/core/src/sealed.ts), so neither
// the outbox nor the stream nor a log line holds it readable, and the worker stores the sealed
// form only until the email is sent.
import { type EventContext, type Executor, invalid, newEvent, type Outbox, seal } from "@evented/core";
import { and, eq, gt, isNull } from "drizzle-orm";
import { hashToken, newOpaqueToken } from "./sessions.ts";
import { type EmailPurpose, emailTokens } from "./tables.ts";

export const EMAIL_TOKEN_TTL_S: Record<EmailPurpose, number> = {
  verify_email: 24 * 3600,
  password_reset: 3600,
  invitation: 7 * 24 * 3600,
};

/** What the additional data of a sealed token is: the token opens for this user and purpose only. */
export const sealContext = (userId: string, purpose: string) => `${userId}:${purpose}`;

export class EmailTokens {
  constructor(
    private readonly outbox: Outbox,
    private readonly key: Uint8Array<ArrayBuffer>,
    private readonly ttlS: Record<EmailPurpose, number> = EMAIL_TOKEN_TTL_S,
  ) {}

  /** In the caller's transaction: a new token (earlier unused ones of the purpose end) and the event that mails it. */
  async issue(tx: Executor, user: { id: string; name: string }, purpose: EmailPurpose, email: string, ctx: EventContext): Promise<void> {
    const token = newOpaqueToken();
    const expiresAt = new Date(Date.now() + this.ttlS[purpose] * 1000);
    await tx
      .update(emailTokens)
      .set({ usedAt: new Date() })
      .where(and(eq(emailTokens.userId, user.id), eq(emailTokens.purpose, purpose), isNull(emailTokens.usedAt)));
    await tx.insert(emailTokens).values({ tokenHash: hashToken(token), userId: user.id, purpose, email, expiresAt });
    const sealedToken = await seal(this.key, token, sealContext(user.id, purpose));
    const value = { userId: user.id, purpose, email, name: user.name, sealedToken, expiresAt: expiresAt.toISOString() };
    await this.outbox.add(tx, newEvent("user", user.id, { $case: "accountEmailRequested", value }, ctx));
  }

  /** Uses a token of one of `purposes`, once: what it was for; INVALID_ARGUMENT when unknown, used or expired. */
  async use(tx: Executor, token: string, purposes: EmailPurpose[]): Promise<{ userId: string; email: string; purpose: EmailPurpose }> {
    const [row] = await tx
      .update(emailTokens)
      .set({ usedAt: new Date() })
      .where(and(eq(emailTokens.tokenHash, hashToken(token)), isNull(emailTokens.usedAt), gt(emailTokens.expiresAt, new Date())))
      .returning();
    if (!row || !purposes.includes(row.purpose)) throw invalid("this link is not valid: it was used already, has expired, or is not for this");
    return row;
  }
}

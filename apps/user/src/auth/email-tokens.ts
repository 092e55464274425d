// Single-use, expiring tokens sent by email (verify an address, reset a password, accept an
// invitation). The database keeps their SHA-256 only; the event that asks the notification worker
// to send one carries it sealed with AUTH_EMAIL_KEY (see packages/core/src/sealed.ts), so neither
// the outbox nor the stream nor a log line holds it readable, and the worker stores the sealed
// form only until the email is sent.
import { type EventContext, type Executor, invalid, newEvent, type Outbox, seal } from "@evented/core";
import { and, eq, gt, isNull } from "drizzle-orm";
import * as repo from "../repository.ts";
import type { User } from "../schema.ts";
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

  /**
   * In the caller's transaction: a new token (earlier unused ones of the purpose end) and the event
   * that mails it. The caller holds the user's row (repo.findUserForUpdate, or has just inserted it):
   * the user's row is locked before its tokens, as in `use`.
   */
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

  /**
   * Uses a token of one of `purposes`, once: what it was for, and its user, whose row it locks
   * before the token's. Every transaction that writes both takes them in that order (an email change
   * locks the user, then ends its earlier tokens; deleting a user cascades to them): the other order
   * deadlocks with them. INVALID_ARGUMENT when unknown, used or expired.
   */
  async use(tx: Executor, token: string, purposes: EmailPurpose[]): Promise<{ user: User; email: string; purpose: EmailPurpose }> {
    const tokenHash = hashToken(token);
    // Unlocked: only whose it is (which never changes); the update below checks the rest.
    const [found] = await tx.select({ userId: emailTokens.userId, purpose: emailTokens.purpose }).from(emailTokens).where(eq(emailTokens.tokenHash, tokenHash));
    const user = found && purposes.includes(found.purpose) && (await repo.findUserForUpdate(tx, found.userId));
    const [row] = user
      ? await tx
          .update(emailTokens)
          .set({ usedAt: new Date() })
          .where(and(eq(emailTokens.tokenHash, tokenHash), isNull(emailTokens.usedAt), gt(emailTokens.expiresAt, new Date())))
          .returning({ email: emailTokens.email, purpose: emailTokens.purpose })
      : [];
    if (!user || !row) throw invalid("this link is not valid: it was used already, has expired, or is not for this");
    return { user, ...row };
  }
}

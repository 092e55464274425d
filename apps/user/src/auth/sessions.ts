// Sessions: a short-lived access JWT and a rotating refresh token (RFC 9700 §4.14): each refresh
// uses its token and answers the next one of the same family; a used token presented again means
// it was stolen or replayed, and the whole family ends.
import { type Executor, type Role, TOKEN_ALG, unauthenticated } from "@evented/core";
import { and, eq, isNull } from "drizzle-orm";
import { SignJWT } from "jose";
import * as repo from "../repository.ts";
import type { KeyRing } from "./keys.ts";
import { refreshTokens } from "./tables.ts";

export interface SessionSettings {
  issuer: string;
  audience: string;
  accessTtlS: number;
  refreshTtlS: number;
}

export interface Session {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
}

/** 256 random bits, base64url: guessing one is hopeless, so its SHA-256 is all the database keeps. */
export const newOpaqueToken = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
export const hashToken = (token: string) => new Bun.CryptoHasher("sha256").update(token).digest("hex");

export class Sessions {
  constructor(
    private readonly db: Executor,
    private readonly keys: KeyRing,
    private readonly s: SessionSettings,
  ) {}

  /** A new session family for a user who just proved who they are; the caller holds the user's row (repo.findSessionUser). */
  start(user: { id: string; role: Role }, db: Executor = this.db): Promise<Session> {
    return this.issue(db, user, crypto.randomUUID());
  }

  async refresh(token: string): Promise<Session> {
    const tokenHash = hashToken(token);
    // Unlocked: only whose it is (which never changes). The user's row is locked before the token's,
    // as everything that ends sessions or deletes the user locks them; the locked read decides.
    const [found] = await this.db.select({ userId: refreshTokens.userId }).from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash));
    const outcome =
      found &&
      (await this.db.transaction(async (tx) => {
        const user = await repo.findSessionUser(tx, found.userId);
        const [row] = user ? await tx.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash)).for("update") : [];
        if (!user || !row || row.revokedAt || row.expiresAt <= new Date()) return undefined;
        if (row.usedAt) return { reusedFamily: row.familyId };
        await tx.update(refreshTokens).set({ usedAt: new Date() }).where(eq(refreshTokens.id, row.id));
        return this.issue(tx, user, row.familyId);
      }));
    if (outcome && "reusedFamily" in outcome) {
      // Ended in a transaction of its own, which takes the user's row as endAll's callers do: this one
      // upgrading its FOR SHARE would deadlock with another refresh of the user doing the same.
      // Thrown after that commit: the family stays revoked.
      await this.endFamily(found.userId, outcome.reusedFamily);
      throw unauthenticated("this refresh token was already used; the session has ended, log in again");
    }
    if (!outcome) throw unauthenticated("the refresh token is not valid or has expired; log in again");
    return outcome;
  }

  /** Ends the session the token belongs to; an unknown token is no error (logging out twice is fine). */
  async logout(token: string): Promise<void> {
    const [row] = await this.db
      .select({ userId: refreshTokens.userId, familyId: refreshTokens.familyId })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, hashToken(token)));
    if (row) await this.endFamily(row.userId, row.familyId);
  }

  /**
   * Every session of the user ends (password changed or reset). The caller holds the user's row
   * (repo.findUserForUpdate, or has updated it): a refresh or login of the user, which holds it
   * FOR SHARE while it adds a token, has committed that token (this revokes it) or waits.
   */
  async endAll(tx: Executor, userId: string): Promise<void> {
    await tx
      .update(refreshTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
  }

  accessToken(user: { id: string; role: Role }): Promise<string> {
    const { kid, privateKey } = this.keys.signer;
    return new SignJWT({ role: user.role })
      .setProtectedHeader({ alg: TOKEN_ALG, kid, typ: "at+jwt" })
      .setSubject(user.id)
      .setIssuer(this.s.issuer)
      .setAudience(this.s.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.s.accessTtlS}s`)
      .setJti(crypto.randomUUID())
      .sign(privateKey);
  }

  private async issue(db: Executor, user: { id: string; role: Role }, familyId: string): Promise<Session> {
    const refreshToken = newOpaqueToken();
    const expiresAt = new Date(Date.now() + this.s.refreshTtlS * 1000);
    await db.insert(refreshTokens).values({ tokenHash: hashToken(refreshToken), familyId, userId: user.id, expiresAt });
    return { accessToken: await this.accessToken(user), expiresIn: this.s.accessTtlS, refreshToken, refreshExpiresIn: this.s.refreshTtlS };
  }

  /** One session ends, under the user's row as in endAll: no refresh of it adds a token this misses. */
  private endFamily(userId: string, familyId: string): Promise<void> {
    return this.db.transaction(async (tx) => {
      await repo.findUserForUpdate(tx, userId);
      await tx
        .update(refreshTokens)
        .set({ revokedAt: new Date() })
        .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
    });
  }
}

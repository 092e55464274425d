// Sign-in and what hangs off it: login with limits, refresh, logout, password change, email
// verification, password reset. Business rules only: the gRPC side is auth/server.ts.
import { type CallContext, checkEmail, type EventContext, type Executor, invalid, newEvent, type Outbox, requireCaller, unauthenticated } from "@evented/core";
import { eq } from "drizzle-orm";
import * as repo from "../repository.ts";
import { type User, users } from "../schema.ts";
import type { EmailTokens } from "./email-tokens.ts";
import { accountKey, addressKey, type LoginLimits } from "./login-limits.ts";
import { checkPassword, hashPassword, verifyPassword } from "./passwords.ts";
import type { Session, Sessions } from "./sessions.ts";

export class Accounts {
  constructor(
    private readonly db: Executor,
    private readonly outbox: Outbox,
    readonly sessions: Sessions,
    private readonly limits: LoginLimits,
    private readonly emails: EmailTokens,
  ) {}

  /**
   * An unknown email and a wrong password get the same answer after the same work (a dummy hash
   * is checked), and both count against the account's and the address's limits.
   */
  async login(email: string, password: string, clientIp?: string): Promise<Session> {
    const keys = [accountKey(email), ...(clientIp ? [addressKey(clientIp)] : [])];
    await this.limits.check(keys);
    const account = email.length <= 254 ? await repo.findCredentials(this.db, email.trim()) : undefined;
    const ok = await verifyPassword(password, account?.passwordHash);
    if (!ok || !account) {
      await this.limits.fail(keys);
      throw unauthenticated("the email or the password is wrong");
    }
    await this.limits.succeed(keys[0]!);
    // Under the user's row, as a refresh: no session from a password that a reset or change (which end
    // every session) replaced since it was checked, nor for a user deleted meanwhile (a foreign-key error).
    const session = await this.db.transaction(async (tx) => {
      const user = await repo.findSessionUser(tx, account.id);
      return user && user.passwordHash === account.passwordHash ? this.sessions.start(user, tx) : undefined;
    });
    if (!session) throw unauthenticated("the email or the password is wrong");
    return session;
  }

  async me(ctx: CallContext): Promise<User> {
    const caller = requireCaller(ctx);
    const user = await repo.findUser(this.db, caller.userId);
    if (!user) throw unauthenticated("the account of this access token no longer exists");
    return user;
  }

  /**
   * Needs the current password too (a stolen access token alone cannot take the account), guessed
   * under the same limits as a login to the account; ends every session.
   */
  async changePassword(ctx: CallContext, current: string, next: string): Promise<void> {
    const caller = requireCaller(ctx);
    const newPassword = checkPassword(next, "new_password");
    const [row] = await this.db.select({ email: users.email, passwordHash: users.passwordHash }).from(users).where(eq(users.id, caller.userId));
    if (!row) throw unauthenticated("the account of this access token no longer exists");
    const key = accountKey(row.email);
    await this.limits.check([key]);
    if (!(await verifyPassword(current, row.passwordHash))) {
      await this.limits.fail([key]);
      throw unauthenticated("the current password is wrong");
    }
    await this.limits.succeed(key);
    const hash = await hashPassword(newPassword);
    await this.db.transaction(async (tx) => {
      await tx.update(users).set({ passwordHash: hash, updatedAt: new Date() }).where(eq(users.id, caller.userId));
      await this.sessions.endAll(tx, caller.userId);
    });
  }

  /** Proves the address the link went to: the account's own, or the new one it asked for, which then becomes its email. */
  async verifyEmail(token: string, ctx: EventContext): Promise<User> {
    const user = await this.write(async (tx) => {
      const { user: current, ...used } = await this.emails.use(tx, token, ["verify_email"]);
      if (used.email.toLowerCase() === current.email.toLowerCase()) return repo.updateUser(tx, current.id, { emailVerifiedAt: new Date() });
      if (current.pendingEmail?.toLowerCase() !== used.email.toLowerCase()) throw invalid("this link is for an address the account no longer asks for");
      const changed = await repo.updateUser(tx, current.id, { email: used.email, pendingEmail: null, emailVerifiedAt: new Date() });
      const { id: userId, name, email, phone } = changed;
      await this.outbox.add(tx, newEvent("user", changed, { $case: "userUpdated", value: { userId, name, email, phone, changedFields: ["email"] } }, ctx));
      return changed;
    });
    return user;
  }

  /** Always succeeds, whether or not the address has an account: the answer tells a stranger nothing. */
  async requestPasswordReset(email: string, ctx: EventContext): Promise<void> {
    let address: string;
    try {
      address = checkEmail(email);
    } catch {
      return;
    }
    await this.write(async (tx) => {
      const account = await repo.findCredentials(tx, address);
      // Locked before issue ends the earlier links: the user's row before its tokens (see EmailTokens.use).
      const user = account && (await repo.findUserForUpdate(tx, account.id));
      if (user) await this.emails.issue(tx, user, "password_reset", user.email, ctx);
    });
  }

  /** Sets a password from a reset or invitation link, proves the address it went to, and ends every session. */
  async confirmPasswordReset(token: string, password: string): Promise<void> {
    const hash = await hashPassword(checkPassword(password));
    await this.db.transaction(async (tx) => {
      const { user } = await this.emails.use(tx, token, ["password_reset", "invitation"]);
      await tx.update(users).set({ passwordHash: hash, emailVerifiedAt: new Date(), updatedAt: new Date() }).where(eq(users.id, user.id));
      await this.sessions.endAll(tx, user.id);
    });
  }

  /** A transaction that may write events (the outbox relay wakes on its commit); names an address another account took meanwhile. */
  private write<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    return repo.transaction(this.db, work);
  }
}

// Accounts against the real PostgreSQL (fresh database, real migrations): transactions that lock a
// user's row and its tokens race without deadlocking (a deadlock aborts one of them, 40P01 -> 409),
// because all of them lock the user's row first; and no session outlives a reset that ends them all.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { AppError, createLogger, pgCode, status, unseal } from "@evented/core";
import { serviceUnderTest, testEmail, testPassword, waitFor } from "@evented/testing";
import { and, eq, isNull } from "drizzle-orm";
import { readConfig } from "../config.ts";
import * as schema from "../schema.ts";
import { UserService } from "../service.ts";
import { sealContext } from "./email-tokens.ts";
import { accountKey } from "./login-limits.ts";
import { hashToken } from "./sessions.ts";
import type { EmailPurpose } from "./tables.ts";
import { startAuth } from "./wiring.ts";

setDefaultTimeout(30_000);

const migrationsFolder = new URL("../../../../drizzle/user", import.meta.url).pathname;
const config = readConfig({}).auth;
const log = createLogger("user", { level: "silent" });

let svc: Awaited<ReturnType<typeof serviceUnderTest<typeof schema>>>;
let auth: Awaited<ReturnType<typeof startAuth>>;
let users: UserService;

beforeAll(async () => {
  svc = await serviceUnderTest("user_accounts", schema, migrationsFolder);
  auth = await startAuth(config, svc.db.db, svc.outbox, log);
  users = new UserService(svc.db.db, svc.outbox, auth.emails);
});

afterAll(() => svc?.close());

/** The token of the last link of `purpose` mailed to the user, opened from its event as the worker would. */
async function link(userId: string, purpose: EmailPurpose): Promise<string> {
  const sent = (await svc.eventsOf(userId)).flatMap((e) =>
    e.payload?.$case === "accountEmailRequested" && e.payload.value.purpose === purpose ? [e.payload.value] : [],
  );
  return unseal(config.emailKey, sent.at(-1)!.sealedToken, sealContext(userId, purpose));
}

const waiting = async () =>
  (await svc.db.client`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)[0]!.n as number;

/** "ok", or what went wrong: an AppError's status name, a database error's SQLSTATE. */
const outcome = (o: PromiseSettledResult<unknown>) =>
  o.status === "fulfilled" ? "ok" : o.reason instanceof AppError ? status[o.reason.code] : (pgCode(o.reason) ?? String(o.reason));

/**
 * A third transaction holds a row (`hold` locks it); `first` starts and waits for it, then `second`
 * starts and, unless `secondWaits` is false, waits too (else it runs to its end); then the row is let
 * go. The outcomes of both.
 */
async function race(hold: string, holdArgs: string[], first: () => Promise<unknown>, second: () => Promise<unknown>, secondWaits = true) {
  const raw = await svc.db.client.reserve();
  try {
    await raw`begin`;
    expect(await raw.unsafe(hold, holdArgs)).toHaveLength(1);
    const a = first();
    await waitFor("the first to wait", async () => (await waiting()) === 1);
    const b = second();
    if (secondWaits) await waitFor("both to wait", async () => (await waiting()) === 2);
    else await Promise.allSettled([b]);
    await raw`commit`;
    return (await Promise.allSettled([a, b])).map(outcome);
  } finally {
    await raw`rollback`.catch(() => {});
    raw.release();
  }
}

const holdEmailToken = "select 1 from email_tokens where token_hash = $1 for update";
const holdRefreshToken = "select 1 from refresh_tokens where token_hash = $1 for update";
const holdFailures = "select 1 from login_failures where key = $1 for update";

/** The user's refresh tokens nothing revoked: each one continues a session. */
const liveTokens = (userId: string) =>
  svc.db.db
    .select({ id: schema.refreshTokens.id })
    .from(schema.refreshTokens)
    .where(and(eq(schema.refreshTokens.userId, userId), isNull(schema.refreshTokens.revokedAt)));

const unusedTokens = (userId: string, purpose: EmailPurpose) =>
  svc.db.db
    .select({ email: schema.emailTokens.email })
    .from(schema.emailTokens)
    .where(and(eq(schema.emailTokens.userId, userId), eq(schema.emailTokens.purpose, purpose), isNull(schema.emailTokens.usedAt)));

describe("lock order: the user's row, then its tokens", () => {
  test("verifying a new address while the user asks for another one: both apply, one after the other", async () => {
    const user = await users.create({ name: "Ada", email: testEmail("ada"), password: testPassword() });
    const ctx = { caller: { userId: user.id, role: "customer" as const } };
    const [first, second] = [testEmail("first"), testEmail("second")];
    await users.update(user.id, { email: first }, ctx);
    const token = await link(user.id, "verify_email");

    const outcomes = await race(
      holdEmailToken,
      [hashToken(token)],
      () => auth.accounts.verifyEmail(token, {}),
      () => users.update(user.id, { email: second }, ctx),
    );

    expect(outcomes).toEqual(["ok", "ok"]);
    expect(await users.get(user.id)).toMatchObject({ email: first, pendingEmail: second });
    expect(await unusedTokens(user.id, "verify_email")).toEqual([{ email: second }]);
  });

  test("accepting an invitation while the user is deleted: both apply, one after the other", async () => {
    const user = await users.create({ name: "Grace", email: testEmail("grace") });
    const token = await link(user.id, "invitation");

    const outcomes = await race(
      holdEmailToken,
      [hashToken(token)],
      () => auth.accounts.confirmPasswordReset(token, testPassword()),
      () => users.delete(user.id),
    );

    expect(outcomes).toEqual(["ok", "ok"]);
    expect(await svc.db.db.select().from(schema.users).where(eq(schema.users.id, user.id))).toEqual([]);
  });

  test("asking for a password reset while the user is deleted: both apply, one after the other", async () => {
    const user = await users.create({ name: "Alan", email: testEmail("alan"), password: testPassword() });
    await auth.accounts.requestPasswordReset(user.email, {});
    const token = await link(user.id, "password_reset");

    const outcomes = await race(
      holdEmailToken,
      [hashToken(token)],
      () => auth.accounts.requestPasswordReset(user.email, {}),
      () => users.delete(user.id),
    );

    expect(outcomes).toEqual(["ok", "ok"]);
    expect(await svc.db.db.select().from(schema.users).where(eq(schema.users.id, user.id))).toEqual([]);
  });

  test("a refresh while the user is deleted: both apply, one after the other", async () => {
    const user = await users.create({ name: "Barbara", email: testEmail("barbara"), password: testPassword() });
    const session = await auth.accounts.sessions.start({ id: user.id, role: user.role });

    // The refresh waits for its token, the deletion for the user's row (before: for the token, and the refresh then for the user).
    const outcomes = await race(
      holdRefreshToken,
      [hashToken(session.refreshToken)],
      () => auth.accounts.sessions.refresh(session.refreshToken),
      () => users.delete(user.id),
    );

    expect(outcomes).toEqual(["ok", "ok"]);
    expect(await svc.db.db.select().from(schema.refreshTokens).where(eq(schema.refreshTokens.userId, user.id))).toEqual([]);
  });
});

// Each refresh waits for its token, holding its user's row FOR SHARE; the other side then waits for that
// row (before: for the token), so it ends the sessions once the refresh's next token is committed.
describe("ending sessions ends the ones a refresh or a login adds meanwhile", () => {
  test("a refresh while a password reset is confirmed: the next token the refresh adds is revoked too", async () => {
    const user = await users.create({ name: "Edsger", email: testEmail("edsger"), password: testPassword() });
    const session = await auth.accounts.sessions.start({ id: user.id, role: user.role });
    await auth.accounts.requestPasswordReset(user.email, {});
    const token = await link(user.id, "password_reset");

    const outcomes = await race(
      holdRefreshToken,
      [hashToken(session.refreshToken)],
      () => auth.accounts.sessions.refresh(session.refreshToken),
      () => auth.accounts.confirmPasswordReset(token, testPassword()),
    );

    expect(outcomes).toEqual(["ok", "ok"]);
    expect(await liveTokens(user.id)).toEqual([]);
  });

  test("a refresh while the password is changed: the next token the refresh adds is revoked too", async () => {
    const password = testPassword();
    const user = await users.create({ name: "Tony", email: testEmail("tony"), password });
    const session = await auth.accounts.sessions.start({ id: user.id, role: user.role });
    const ctx = { requestId: "test", log, caller: { userId: user.id, role: user.role } };

    const outcomes = await race(
      holdRefreshToken,
      [hashToken(session.refreshToken)],
      () => auth.accounts.sessions.refresh(session.refreshToken),
      () => auth.accounts.changePassword(ctx, password, testPassword()),
    );

    expect(outcomes).toEqual(["ok", "ok"]);
    expect(await liveTokens(user.id)).toEqual([]);
  });

  test("a refresh while its session logs out: the next token the refresh adds is revoked too", async () => {
    const user = await users.create({ name: "Niklaus", email: testEmail("niklaus"), password: testPassword() });
    const session = await auth.accounts.sessions.start({ id: user.id, role: user.role });

    const outcomes = await race(
      holdRefreshToken,
      [hashToken(session.refreshToken)],
      () => auth.accounts.sessions.refresh(session.refreshToken),
      () => auth.accounts.sessions.logout(session.refreshToken),
    );

    expect(outcomes).toEqual(["ok", "ok"]);
    expect(await liveTokens(user.id)).toEqual([]);
  });

  test("a refresh while a used token of its session comes again: the family ends, the next token included", async () => {
    const user = await users.create({ name: "Frances", email: testEmail("frances"), password: testPassword() });
    const used = await auth.accounts.sessions.start({ id: user.id, role: user.role });
    const current = await auth.accounts.sessions.refresh(used.refreshToken);

    const outcomes = await race(
      holdRefreshToken,
      [hashToken(current.refreshToken)],
      () => auth.accounts.sessions.refresh(current.refreshToken),
      () => auth.accounts.sessions.refresh(used.refreshToken),
    );

    expect(outcomes).toEqual(["ok", "UNAUTHENTICATED"]);
    expect(await liveTokens(user.id)).toEqual([]);
  });

  // The login checks the password, then waits to forget its earlier failure (the row is held) while `during` runs to its end.
  const loginWhile = async (name: string, during: (user: { id: string; email: string }) => Promise<unknown>) => {
    const password = testPassword();
    const user = await users.create({ name, email: testEmail(name.toLowerCase()), password });
    await expect(auth.accounts.login(user.email, "not the password")).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    const outcomes = await race(
      holdFailures,
      [accountKey(user.email)],
      () => auth.accounts.login(user.email, password),
      () => during(user),
      false,
    );
    return { user, outcomes };
  };

  test("a login with the password a reset replaces meanwhile: no session", async () => {
    const { user, outcomes } = await loginWhile("Butler", async (u) => {
      await auth.accounts.requestPasswordReset(u.email, {});
      await auth.accounts.confirmPasswordReset(await link(u.id, "password_reset"), testPassword());
    });

    expect(outcomes).toEqual(["UNAUTHENTICATED", "ok"]);
    expect(await liveTokens(user.id)).toEqual([]);
  });

  test("a login while the user is deleted: the wrong password's answer, not an internal error", async () => {
    const { outcomes } = await loginWhile("Ken", (u) => users.delete(u.id));

    expect(outcomes).toEqual(["UNAUTHENTICATED", "ok"]);
  });
});

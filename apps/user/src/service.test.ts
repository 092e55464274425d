// UserService against the real PostgreSQL (fresh database, real migrations) and a real outbox on
// a JetStream stream of its own: every rule of users, and the events each change leaves behind.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { status } from "@evented/core";
import { appError, serviceUnderTest } from "@evented/testing";
import { eq, sql } from "drizzle-orm";
import * as schema from "./schema.ts";
import { UserService } from "./service.ts";

setDefaultTimeout(30_000);

const migrationsFolder = new URL("../../../drizzle/user", import.meta.url).pathname;
const MISSING = "01900000-0000-7000-8000-000000000000";

let svc: Awaited<ReturnType<typeof serviceUnderTest<typeof schema>>>;
let db: typeof svc.db;
let users: UserService;

beforeAll(async () => {
  svc = await serviceUnderTest("user_svc", schema, migrationsFolder);
  db = svc.db;
  users = new UserService(svc.db.db, svc.outbox);
});

afterAll(() => svc?.close());

let seq = 0;
const email = (tag = "u") => `${tag}.${Date.now()}.${++seq}@example.com`;

const failure = appError;

const eventsOf = (id: string) => svc.eventsOf(id);

describe("create", () => {
  test("stores the user with trimmed fields and writes UserCreated in the outbox", async () => {
    const address = email("ada");
    const user = await users.create({ name: "  Ada Lovelace ", email: ` ${address} `, phone: "+44 20 7946 0958" }, { requestId: "req-create" });
    expect(user).toMatchObject({ name: "Ada Lovelace", email: address, phone: "+442079460958" });
    expect(user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    expect(await users.get(user.id)).toEqual(user);

    const [event, ...rest] = await eventsOf(user.id);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({ type: "UserCreated", source: "user", aggregateId: user.id, correlationId: "req-create", version: 1 });
    expect(event!.payload).toEqual({ $case: "userCreated", value: { userId: user.id, name: "Ada Lovelace", email: address, phone: "+442079460958" } });
  });

  test("a name with a control character (NUL, which PostgreSQL refuses) is INVALID_ARGUMENT, not an internal error", async () => {
    for (const name of ["Ada\u0000", "Ada\u001b[31m"]) {
      const err = await failure(users.create({ name, email: email() }));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.message).toBe("name must not contain control characters");
    }
  });

  test("phone is optional", async () => {
    const user = await users.create({ name: "No Phone", email: email() });
    expect(user.phone).toBe("");
  });

  test("email is unique whatever its case: ALREADY_EXISTS, and nothing is written", async () => {
    const address = email("Grace");
    await users.create({ name: "Grace", email: address });
    const before = await db.db.select({ n: sql<number>`count(*)::int` }).from(schema.outbox);
    const err = await failure(users.create({ name: "Other Grace", email: address.toUpperCase() }));
    expect(err.code).toBe(status.ALREADY_EXISTS);
    expect(err.message).toBe("a user with this email already exists");
    const after = await db.db.select({ n: sql<number>`count(*)::int` }).from(schema.outbox);
    expect(after).toEqual(before);
    const rows = await db.db.select().from(schema.users).where(sql`lower(${schema.users.email}) = ${address.toLowerCase()}`);
    expect(rows).toHaveLength(1);
  });

  test.each([
    [{ name: "", email: "a@example.com" }, "name must not be empty"],
    [{ name: "   ", email: "a@example.com" }, "name must not be empty"],
    [{ name: "x".repeat(101), email: "a@example.com" }, "name must be at most 100 characters"],
    [{ name: "A", email: "not-an-address" }, 'email "not-an-address" is not a valid address'],
    [{ name: "A", email: "" }, 'email "" is not a valid address'],
    [{ name: "A", email: "a@b" }, 'email "a@b" is not a valid address'],
    [{ name: "A", email: `${"x".repeat(250)}@example.com` }, "email must be at most 254 characters"],
    [{ name: "A", email: "a@example.com", phone: "12345" }, 'phone "12345" must be in E.164 form, e.g. +14155550123'],
    [{ name: "A", email: "a@example.com", phone: "+0123456789" }, "must be in E.164 form"],
    [{ name: "A", email: "a@example.com", phone: "+1 555 CALL NOW" }, "must be in E.164 form"],
  ])("refuses %j: %s", async (input, message) => {
    const err = await failure(users.create(input));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.message).toContain(message);
  });
});

describe("get", () => {
  test("an unknown id is NOT_FOUND, a malformed one INVALID_ARGUMENT", async () => {
    const missing = await failure(users.get(MISSING));
    expect(missing.code).toBe(status.NOT_FOUND);
    expect(missing.message).toBe(`user ${MISSING} not found`);
    const malformed = await failure(users.get("42"));
    expect(malformed.code).toBe(status.INVALID_ARGUMENT);
    expect(malformed.message).toBe('id must be a UUID, got "42"');
  });

  test("an id in capitals finds the same user", async () => {
    const user = await users.create({ name: "Caps", email: email() });
    expect((await users.get(user.id.toUpperCase())).id).toBe(user.id);
  });
});

describe("update", () => {
  test("changes only the given fields and names them in UserUpdated", async () => {
    const user = await users.create({ name: "Before", email: email(), phone: "+14155550123" });
    const updated = await users.update(user.id, { name: "After" }, { requestId: "req-update" });
    expect(updated).toMatchObject({ id: user.id, name: "After", email: user.email, phone: user.phone });
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(user.updatedAt.getTime());

    const [, event] = await eventsOf(user.id);
    expect(event).toMatchObject({ type: "UserUpdated", aggregateId: user.id, correlationId: "req-update" });
    expect(event!.payload).toEqual({
      $case: "userUpdated",
      value: { userId: user.id, name: "After", email: user.email, phone: "+14155550123", changedFields: ["name"] },
    });
  });

  test("changed_fields lists only what really changed; an update that changes nothing writes no event", async () => {
    const user = await users.create({ name: "Same", email: email() });
    const other = email();
    await users.update(user.id, { name: "Same", email: other, phone: "" });
    await users.update(user.id, { name: " Same ", phone: "" });
    const events = await eventsOf(user.id);
    expect(events.map((e) => e.type)).toEqual(["UserCreated", "UserUpdated"]);
    expect(events[1]!.payload).toMatchObject({ value: { email: other, changedFields: ["email"] } });
  });

  test("can clear the phone", async () => {
    const user = await users.create({ name: "Phone", email: email(), phone: "+14155550123" });
    expect((await users.update(user.id, { phone: "" })).phone).toBe("");
  });

  test("with no fields is INVALID_ARGUMENT", async () => {
    const user = await users.create({ name: "Nothing", email: email() });
    const err = await failure(users.update(user.id, {}));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.message).toBe("nothing to update: give at least one of name, email, phone");
  });

  test("to an email another user has, in any case, is ALREADY_EXISTS and changes nothing", async () => {
    const taken = email("Taken");
    await users.create({ name: "Owner", email: taken });
    const user = await users.create({ name: "Other", email: email() });
    const err = await failure(users.update(user.id, { name: "Renamed", email: taken.toUpperCase() }));
    expect(err.code).toBe(status.ALREADY_EXISTS);
    expect(await users.get(user.id)).toEqual(user);
    expect((await eventsOf(user.id)).map((e) => e.type)).toEqual(["UserCreated"]);
  });

  test("a user may change the case of their own email", async () => {
    const address = email("lower");
    const user = await users.create({ name: "Case", email: address });
    expect((await users.update(user.id, { email: address.toUpperCase() })).email).toBe(address.toUpperCase());
  });

  test("validates what it is given, and knows unknown and malformed ids", async () => {
    const user = await users.create({ name: "Valid", email: email() });
    expect((await failure(users.update(user.id, { name: "" }))).message).toBe("name must not be empty");
    expect((await failure(users.update(user.id, { email: "nope" }))).code).toBe(status.INVALID_ARGUMENT);
    expect((await failure(users.update(user.id, { phone: "555" }))).code).toBe(status.INVALID_ARGUMENT);
    expect((await failure(users.update(MISSING, { name: "Ghost" }))).code).toBe(status.NOT_FOUND);
    expect((await failure(users.update("nope", { name: "Ghost" }))).code).toBe(status.INVALID_ARGUMENT);
  });

  test("an id in capitals updates the user, and the event names it in canonical form", async () => {
    const user = await users.create({ name: "Caps", email: email() });
    await users.update(user.id.toUpperCase(), { name: "Caps Updated" });
    const events = await eventsOf(user.id);
    expect(events.map((e) => e.type)).toEqual(["UserCreated", "UserUpdated"]);
    expect(events[1]!.payload).toMatchObject({ value: { userId: user.id } });
  });

  test("concurrent updates apply one after another: the last write wins and each leaves an event", async () => {
    const user = await users.create({ name: "Racer", email: email() });
    await Promise.all(Array.from({ length: 5 }, (_, i) => users.update(user.id, { name: `Racer ${i}` })));
    const events = await eventsOf(user.id);
    expect(events.filter((e) => e.type === "UserUpdated")).toHaveLength(5);
    // each carries the user's version, counted under the row lock: in the order they happened
    expect(events.map((e) => e.aggregateVersion)).toEqual([1, 2, 3, 4, 5, 6]);
    const last = events.at(-1)!.payload;
    expect(last?.$case === "userUpdated" && last.value.name).toBe((await users.get(user.id)).name);
  });
});

describe("delete", () => {
  test("removes the user and writes UserDeleted with the last known contact details", async () => {
    const user = await users.create({ name: "Leaving", email: email(), phone: "+14155550123" });
    await users.delete(user.id, { requestId: "req-delete" });
    expect((await failure(users.get(user.id))).code).toBe(status.NOT_FOUND);
    const events = await eventsOf(user.id);
    expect(events.map((e) => e.type)).toEqual(["UserCreated", "UserDeleted"]);
    expect(events.map((e) => e.aggregateVersion)).toEqual([1, 2]);
    expect(events[1]).toMatchObject({ correlationId: "req-delete" });
    expect(events[1]!.payload).toEqual({ $case: "userDeleted", value: { userId: user.id, name: "", email: "", phone: "" } });
  });

  test("twice is NOT_FOUND the second time, with no second event", async () => {
    const user = await users.create({ name: "Twice", email: email() });
    await users.delete(user.id);
    expect((await failure(users.delete(user.id))).code).toBe(status.NOT_FOUND);
    expect((await eventsOf(user.id)).map((e) => e.type)).toEqual(["UserCreated", "UserDeleted"]);
  });

  test("frees the email for a new account", async () => {
    const address = email();
    const first = await users.create({ name: "First", email: address });
    await users.delete(first.id);
    const second = await users.create({ name: "Second", email: address });
    expect(second.id).not.toBe(first.id);
  });

  test("an id in capitals deletes the user, and UserDeleted names it in canonical form", async () => {
    const user = await users.create({ name: "Caps", email: email() });
    await users.delete(user.id.toUpperCase());
    const events = await eventsOf(user.id);
    expect(events.map((e) => e.type)).toEqual(["UserCreated", "UserDeleted"]);
    expect(events[1]!.payload).toMatchObject({ value: { userId: user.id } });
  });

  test("a malformed id is INVALID_ARGUMENT", async () => {
    expect((await failure(users.delete("x"))).code).toBe(status.INVALID_ARGUMENT);
  });
});

describe("list", () => {
  test("walks every user exactly once, newest first, page by page", async () => {
    for (let i = 0; i < 7; i++) await users.create({ name: `Page ${i}`, email: email("page") });
    const all = await db.db.select({ id: schema.users.id }).from(schema.users);

    const seen: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const page = await users.list(3, token);
      expect(page.users.length).toBeLessThanOrEqual(3);
      seen.push(...page.users.map((u) => u.id));
      token = page.nextPageToken;
      pages++;
    } while (token && pages < 100);

    expect(seen).toHaveLength(all.length);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort().reverse());
    expect(pages).toBe(Math.ceil(all.length / 3));
  });

  test("the last page has no next token; page_size 0 means the default of 20", async () => {
    const total = (await db.db.select({ id: schema.users.id }).from(schema.users)).length;
    const page = await users.list(0, "");
    expect(page.users).toHaveLength(Math.min(total, 20));
    const everything = await users.list(100, "");
    expect(everything.users).toHaveLength(Math.min(total, 100));
    if (total <= 100) expect(everything.nextPageToken).toBe("");
  });

  test("page_size is capped at 100 and must be positive", async () => {
    for (const size of [101, 1000, -1, 2.5]) {
      const err = await failure(users.list(size, ""));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.message).toBe("page_size must be from 1 to 100");
    }
  });

  test("a page token that did not come from a previous page is INVALID_ARGUMENT", async () => {
    for (const token of ["garbage", "!!!", Buffer.from("not-a-uuid").toString("base64url")]) {
      const err = await failure(users.list(10, token));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.message).toBe("page_token is not valid; use next_page_token from a previous page");
    }
  });
});

describe("idempotency", () => {
  test("a retry with the same key returns the first user and creates nothing", async () => {
    const key = `key-${Bun.randomUUIDv7()}`;
    const input = { name: "Once", email: email("once") };
    const first = await users.create(input, { idempotencyKey: key });
    const retry = await users.create(input, { idempotencyKey: key });
    expect(retry).toEqual(first);
    expect(retry.createdAt).toBeInstanceOf(Date);
    expect((await eventsOf(first.id)).map((e) => e.type)).toEqual(["UserCreated"]);
  });

  test("ten concurrent creates with one key make one user, and all ten get it", async () => {
    const key = `key-${Bun.randomUUIDv7()}`;
    const input = { name: "Concurrent", email: email("concurrent") };
    const results = await Promise.all(Array.from({ length: 10 }, () => users.create(input, { idempotencyKey: key })));
    const rows = await db.db.select().from(schema.users).where(eq(schema.users.email, input.email));
    expect(rows).toHaveLength(1);
    for (const r of results) expect(r).toEqual(results[0]!);
    expect(results[0]!.id).toBe(rows[0]!.id);
    expect(await eventsOf(rows[0]!.id)).toHaveLength(1);
  });

  test("the same key with a different body is refused with IDEMPOTENCY_KEY_REUSED", async () => {
    const key = `key-${Bun.randomUUIDv7()}`;
    await users.create({ name: "First", email: email() }, { idempotencyKey: key });
    const err = await failure(users.create({ name: "Second", email: email() }, { idempotencyKey: key }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.reason).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(err.message).toBe("this Idempotency-Key was already used with a different request body");
  });

  test("a create that failed leaves the key free: the corrected retry succeeds", async () => {
    const key = `key-${Bun.randomUUIDv7()}`;
    const taken = email();
    await users.create({ name: "Owner", email: taken });
    expect((await failure(users.create({ name: "Dup", email: taken }, { idempotencyKey: key }))).code).toBe(status.ALREADY_EXISTS);
    // The failed transaction rolled the key back with it: the same request still fails the same way...
    expect((await failure(users.create({ name: "Dup", email: taken }, { idempotencyKey: key }))).code).toBe(status.ALREADY_EXISTS);
    // ...and no record of the key remains to block a different request.
    const created = await users.create({ name: "Dup", email: email() }, { idempotencyKey: key });
    expect(created.name).toBe("Dup");
  });

  test("different keys are different requests: the same body under a new key is created again, not replayed", async () => {
    // Same body, so only the key can tell them apart: a replay would hand back the first user;
    // a new request tries to create it again, and the email is taken.
    const input = { name: "A", email: email() };
    const a = await users.create(input, { idempotencyKey: `key-${Bun.randomUUIDv7()}` });
    expect((await failure(users.create(input, { idempotencyKey: `key-${Bun.randomUUIDv7()}` }))).code).toBe(status.ALREADY_EXISTS);
    // With another email, another key is another user.
    const b = await users.create({ ...input, email: email() }, { idempotencyKey: `key-${Bun.randomUUIDv7()}` });
    expect(b.id).not.toBe(a.id);
  });
});

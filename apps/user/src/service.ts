import {
  alreadyExists,
  type Caller,
  checkEmail,
  checkId,
  checkName,
  checkPhone,
  type EventContext,
  type Executor,
  invalid,
  newEvent,
  notFound,
  type Outbox,
  once,
  page,
  type Role,
} from "@evented/core";
import { checkPassword, hashPassword } from "./auth/passwords.ts";
import type { EmailPurpose } from "./auth/tables.ts";
import * as repo from "./repository.ts";
import type { User } from "./schema.ts";

export type { User };

export interface CreateUser {
  name: string;
  email: string;
  phone?: string;
  /** Checked and hashed here; never stored, logged or published as given. Without one, the user is invited to set it. */
  password?: string;
  role?: Role;
}

export interface UpdateUser {
  name?: string;
  email?: string;
  phone?: string;
}

export interface Context extends EventContext {
  idempotencyKey?: string;
  caller?: Caller;
}

/** What accounts add to users: the emails that follow a sign-up, an invitation, a new address. */
export interface AccountEmails {
  issue(tx: Executor, user: { id: string; name: string }, purpose: EmailPurpose, email: string, ctx: EventContext): Promise<void>;
}

const SOURCE = "user";

/** The user rules: validation, uniqueness of email, and one event per change, in the same transaction. */
export class UserService {
  constructor(
    private readonly db: Executor,
    private readonly outbox: Outbox,
    private readonly emails?: AccountEmails,
  ) {}

  async create(input: CreateUser, ctx: Context = {}): Promise<User> {
    const fields = { name: checkName(input.name), email: checkEmail(input.email), phone: checkPhone(input.phone ?? "") };
    const role = input.role ?? "customer";
    const passwordHash = input.password === undefined ? null : await hashPassword(checkPassword(input.password));
    // The key's fingerprint names whether a password came, never the password itself.
    const request = { ...fields, role, password: passwordHash !== null };
    const user = await this.write((tx) =>
      once(
        tx,
        ctx.idempotencyKey,
        request,
        async () => {
          const created = await repo.insertUser(tx, { id: Bun.randomUUIDv7(), ...fields, role, passwordHash });
          await this.outbox.add(tx, newEvent(SOURCE, created, { $case: "userCreated", value: { userId: created.id, ...fields } }, ctx));
          await this.emails?.issue(tx, created, passwordHash ? "verify_email" : "invitation", created.email, ctx);
          return created;
        },
        reviveUser,
      ),
    );
    return user;
  }

  async get(id: string): Promise<User> {
    const user = await repo.findUser(this.db, checkId("id", id));
    if (!user) throw notFound(`user ${id} not found`);
    return user;
  }

  async update(rawId: string, input: UpdateUser, ctx: Context = {}): Promise<User> {
    // The canonical (lower-case) id: events name the aggregate one way only.
    const id = checkId("id", rawId);
    const patch: UpdateUser = {};
    if (input.name !== undefined) patch.name = checkName(input.name);
    if (input.email !== undefined) patch.email = checkEmail(input.email);
    if (input.phone !== undefined) patch.phone = checkPhone(input.phone);
    if (Object.keys(patch).length === 0) throw invalid("nothing to update: give at least one of name, email, phone");
    // Users change their own address by proving the new one (the link goes there); an admin's change applies at once.
    const newEmail = this.emails && ctx.caller?.role !== "admin" ? patch.email : undefined;
    if (newEmail !== undefined) delete patch.email;

    return this.write(async (tx) => {
      let current = await repo.findUserForUpdate(tx, id);
      if (!current) throw notFound(`user ${id} not found`);
      if (newEmail !== undefined && newEmail.toLowerCase() !== current.email.toLowerCase()) {
        if (await repo.emailTaken(tx, newEmail)) throw alreadyExists("a user with this email already exists");
        current = await repo.updateUser(tx, id, { pendingEmail: newEmail });
        await this.emails!.issue(tx, current, "verify_email", newEmail, ctx);
      }
      const changed = (Object.keys(patch) as (keyof UpdateUser)[]).filter((k) => patch[k] !== current[k]);
      if (changed.length === 0) return current;
      const user = await repo.updateUser(tx, id, patch);
      const { name, email, phone } = user;
      await this.outbox.add(tx, newEvent(SOURCE, user, { $case: "userUpdated", value: { userId: id, name, email, phone, changedFields: changed } }, ctx));
      return user;
    });
  }

  async delete(rawId: string, ctx: Context = {}): Promise<void> {
    const id = checkId("id", rawId);
    await this.write(async (tx) => {
      const user = await repo.deleteUser(tx, id);
      if (!user) throw notFound(`user ${id} not found`);
      // No contact details: an event stays in the stream for days, a deleted user's details should
      // not. The notification worker says goodbye from its own copy, then erases it.
      // One past its last version: the deletion is the row's last change.
      await this.outbox.add(
        tx,
        newEvent(SOURCE, { id, version: user.version + 1 }, { $case: "userDeleted", value: { userId: id, name: "", email: "", phone: "" } }, ctx),
      );
    });
  }

  async list(pageSize: number, token: string): Promise<{ users: User[]; nextPageToken: string }> {
    const { items, nextPageToken } = await page(pageSize, token, (limit, before) => repo.listUsers(this.db, limit, before));
    return { users: items, nextPageToken };
  }

  /** A transaction that may write events; names a taken email. */
  private write<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    return repo.transaction(this.db, work);
  }
}

function reviveUser(json: unknown): User {
  const u = json as User & { createdAt: string; updatedAt: string };
  return { ...u, createdAt: new Date(u.createdAt), updatedAt: new Date(u.updatedAt) };
}

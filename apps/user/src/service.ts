import {
  alreadyExists,
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
  pgCode,
} from "@evented/core";
import * as repo from "./repository.ts";
import type { User } from "./schema.ts";

export type { User };

export interface CreateUser {
  name: string;
  email: string;
  phone?: string;
}

export interface UpdateUser {
  name?: string;
  email?: string;
  phone?: string;
}

export interface Context extends EventContext {
  idempotencyKey?: string;
}

const SOURCE = "user";

/** The user rules: validation, uniqueness of email, and one event per change, in the same transaction. */
export class UserService {
  constructor(
    private readonly db: Executor,
    private readonly outbox: Outbox,
  ) {}

  async create(input: CreateUser, ctx: Context = {}): Promise<User> {
    const fields = { name: checkName(input.name), email: checkEmail(input.email), phone: checkPhone(input.phone ?? "") };
    const user = await this.write((tx) =>
      once(
        tx,
        ctx.idempotencyKey,
        fields,
        async () => {
          const created = await repo.insertUser(tx, { id: Bun.randomUUIDv7(), ...fields });
          await this.outbox.add(tx, newEvent(SOURCE, created.id, { $case: "userCreated", value: { userId: created.id, ...fields } }, ctx));
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

    return this.write(async (tx) => {
      const current = await repo.findUserForUpdate(tx, id);
      if (!current) throw notFound(`user ${id} not found`);
      const changed = (Object.keys(patch) as (keyof UpdateUser)[]).filter((k) => patch[k] !== current[k]);
      if (changed.length === 0) return current;
      const user = await repo.updateUser(tx, id, patch);
      const { name, email, phone } = user;
      await this.outbox.add(tx, newEvent(SOURCE, id, { $case: "userUpdated", value: { userId: id, name, email, phone, changedFields: changed } }, ctx));
      return user;
    });
  }

  async delete(rawId: string, ctx: Context = {}): Promise<void> {
    const id = checkId("id", rawId);
    await this.write(async (tx) => {
      const user = await repo.deleteUser(tx, id);
      if (!user) throw notFound(`user ${id} not found`);
      const { name, email, phone } = user;
      await this.outbox.add(tx, newEvent(SOURCE, id, { $case: "userDeleted", value: { userId: id, name, email, phone } }, ctx));
    });
  }

  async list(pageSize: number, token: string): Promise<{ users: User[]; nextPageToken: string }> {
    const { items, nextPageToken } = await page(pageSize, token, (limit, before) => repo.listUsers(this.db, limit, before));
    return { users: items, nextPageToken };
  }

  /** A transaction that may write events: it wakes the relay after commit and names a taken email. */
  private async write<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    try {
      const result = await this.db.transaction(work);
      this.outbox.kick();
      return result;
    } catch (err) {
      if (pgCode(err) === "23505") throw alreadyExists("a user with this email already exists");
      throw err;
    }
  }
}

function reviveUser(json: unknown): User {
  const u = json as User & { createdAt: string; updatedAt: string };
  return { ...u, createdAt: new Date(u.createdAt), updatedAt: new Date(u.updatedAt) };
}

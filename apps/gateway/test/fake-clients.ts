// In-memory stand-ins for the gRPC services, for unit tests of the gateway and the typed client
// only: they keep what they are given, record every call, and fail on demand. The real services'
// rules are tested against PostgreSQL and NATS in their own packages and in e2e/.

import { PassThrough } from "node:stream";
import { type CallMeta, REASON_KEY, status } from "@evented/core";
import { type notificationV1, type opsV1, orderV1, type userV1 } from "@evented/proto";
import { type ClientReadableStream, Metadata, type ServiceError } from "@grpc/grpc-js";
import type { Clients } from "../src/clients.ts";

export interface Call {
  service: keyof Clients;
  method: string;
  request: unknown;
  meta: CallMeta | undefined;
}

/** A gRPC error as grpc-js hands it to the gateway, `reason` in the metadata like AppError's. */
export function serviceError(code: status, details: string, reason?: string): ServiceError {
  const metadata = new Metadata();
  if (reason) metadata.set(REASON_KEY, reason);
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata });
}

/** The fake order service's catalog. */
export const PRODUCTS: orderV1.Product[] = [
  { id: "123", name: "Ballpoint pen", unitPrice: 150, currency: "USD" },
  { id: "456", name: "Notebook", unitPrice: 1250, currency: "USD" },
];

export function fakeClients() {
  const calls: Call[] = [];
  let failure: ServiceError | undefined;
  const users = new Map<string, userV1.User>();
  const orders = new Map<string, orderV1.Order>();
  const notifications: notificationV1.Notification[] = [];
  const now = () => new Date().toISOString();
  const session = () => ({
    accessToken: `fake-access-${Bun.randomUUIDv7()}`,
    expiresIn: 900,
    refreshToken: `fake-refresh-${Bun.randomUUIDv7()}`,
    refreshExpiresIn: 86400,
  });
  const newestFirst = <T extends { id: string }>(xs: T[]) => xs.sort((a, b) => b.id.localeCompare(a.id));

  /** Wraps a handler so that the call is recorded and the next call fails if told to. */
  function method<Req, Res>(service: keyof Clients, name: string, handle: (request: Req) => Res) {
    return async (request: Req, meta?: CallMeta): Promise<Res> => {
      calls.push({ service, method: name, request, meta });
      const err = failure;
      failure = undefined;
      if (err) throw err;
      return handle(request);
    };
  }
  const found = <T>(what: string, id: string, x: T | undefined): T => {
    if (!x) throw serviceError(status.NOT_FOUND, `${what} ${id} not found`);
    return x;
  };

  const preferences = new Map<string, notificationV1.Preference>([
    ["welcome/email", { kind: "welcome", channel: "email", enabled: true, locked: false }],
    ["verify_email/email", { kind: "verify_email", channel: "email", enabled: true, locked: true }],
  ]);
  const deadLetters: opsV1.DeadLetter[] = [1, 2].map((id) => ({
    id,
    consumer: "notification",
    subject: "events.order.created",
    eventId: Bun.randomUUIDv7(),
    eventType: "OrderCreated",
    reason: "boom",
    deliveries: 5,
    failedAt: now(),
  }));
  /** Changes up to this cursor are pruned (see pruneFeed). */
  let prunedThrough = 0;
  /**
   * The feed: subscribed, then every notification so far as a change (its cursor its place, from 1),
   * then open until cancelled; from a cursor below prunedThrough, a reset first and the rest after it.
   */
  const stream = (request: notificationV1.StreamNotificationsRequest, meta?: CallMeta) => {
    calls.push({ service: "notifications", method: "streamNotifications", request, meta });
    const out = new PassThrough({ objectMode: true });
    const err = failure;
    failure = undefined;
    if (err) queueMicrotask(() => out.destroy(err));
    else {
      out.write({ message: { $case: "subscribed", value: "0" } });
      const pruned = request.after !== "" && Number(request.after) < prunedThrough;
      if (pruned) out.write({ message: { $case: "reset", value: { cursor: String(prunedThrough) } } });
      for (const [i, n] of notifications.entries())
        if (!pruned || i + 1 > prunedThrough) out.write({ message: { $case: "change", value: { cursor: String(i + 1), notification: n } } });
    }
    return Object.assign(out, { cancel: () => out.end() }) as unknown as ClientReadableStream<notificationV1.StreamNotificationsResponse>;
  };
  /** A waiting dead letter (only the notification service has any), changed; 404 or 409 as the services answer. */
  const settle = (service: string, id: number, change: Partial<opsV1.DeadLetter>) => {
    const letter = found("dead letter", String(id), service === "notification" ? deadLetters.find((l) => l.id === id) : undefined);
    if (letter.replayedAt || letter.discardedAt) throw serviceError(status.ABORTED, `dead letter ${id} was already settled`);
    return Object.assign(letter, change);
  };
  const opsOf = (service: string) => ({
    close() {},
    getPipeline: method("ops", "getPipeline", () => ({
      outbox: service === "notification" ? undefined : { pending: 0, oldestAgeSeconds: 0 },
      consumers: service === "user" ? [] : [{ consumer: service, pending: 0, ackPending: 0, redelivered: 0, deadLetters: 0 }],
    })),
    listDeadLetters: method("ops", "listDeadLetters", () => ({ deadLetters: service === "notification" ? deadLetters : [] })),
    replayDeadLetter: method("ops", "replayDeadLetter", (r: opsV1.ReplayDeadLetterRequest) => ({ deadLetter: settle(service, r.id, { replayedAt: now() }) })),
    discardDeadLetter: method("ops", "discardDeadLetter", (r: opsV1.DiscardDeadLetterRequest) => ({
      deadLetter: settle(service, r.id, { discardedAt: now(), eventType: "" }),
    })),
  });

  const clients: Clients = {
    users: {
      close() {},
      createUser: method("users", "createUser", (r: userV1.CreateUserRequest) => {
        const user = {
          id: Bun.randomUUIDv7(),
          name: r.name,
          email: r.email,
          phone: r.phone,
          role: r.role || "customer",
          emailVerified: false,
          pendingEmail: "",
          createdAt: now(),
          updatedAt: now(),
        };
        users.set(user.id, user);
        notifications.push({
          id: Bun.randomUUIDv7(),
          userId: user.id,
          kind: "welcome",
          subject: "Welcome",
          body: `Hello ${r.name}`,
          eventId: Bun.randomUUIDv7(),
          eventType: "UserCreated",
          createdAt: now(),
          deliveries: [{ channel: "email", status: "sent", attempts: 1, lastError: "", sentAt: now() }],
        });
        return { user };
      }),
      getUser: method("users", "getUser", (r: userV1.GetUserRequest) => ({ user: found("user", r.id, users.get(r.id)) })),
      updateUser: method("users", "updateUser", (r: userV1.UpdateUserRequest) => {
        const user = found("user", r.id, users.get(r.id));
        Object.assign(user, { name: r.name ?? user.name, email: r.email ?? user.email, phone: r.phone ?? user.phone, updatedAt: now() });
        return { user };
      }),
      deleteUser: method("users", "deleteUser", (r: userV1.DeleteUserRequest) => {
        found("user", r.id, users.get(r.id));
        users.delete(r.id);
        return {};
      }),
      listUsers: method("users", "listUsers", () => ({ users: newestFirst([...users.values()]), nextPageToken: "" })),
    },
    // Sign-in with canned sessions: enough for the gateway's shapes; the real rules are tested in apps/user.
    auth: {
      close() {},
      login: method("auth", "login", () => ({ session: session() })),
      refresh: method("auth", "refresh", () => ({ session: session() })),
      logout: method("auth", "logout", () => ({})),
      me: method("auth", "me", () => ({ user: found("user", "me", [...users.values()][0]) })),
      changePassword: method("auth", "changePassword", () => ({})),
      getJwks: method("auth", "getJwks", () => ({ jwksJson: '{"keys":[]}' })),
      verifyEmail: method("auth", "verifyEmail", () => ({ user: found("user", "of this link", [...users.values()][0]) })),
      requestPasswordReset: method("auth", "requestPasswordReset", () => ({})),
      confirmPasswordReset: method("auth", "confirmPasswordReset", () => ({})),
    },
    orders: {
      close() {},
      listProducts: method("orders", "listProducts", () => ({ products: PRODUCTS })),
      createOrder: method("orders", "createOrder", (r: orderV1.CreateOrderRequest) => {
        if (!users.has(r.userId)) throw serviceError(status.FAILED_PRECONDITION, `user ${r.userId} does not exist`);
        // Priced from the fake catalog; the real rules (refusals, currencies) are tested in apps/order.
        const items = r.items.map((i) => {
          const product = PRODUCTS.find((p) => p.id === i.productId);
          if (!product) throw serviceError(status.INVALID_ARGUMENT, `product ${i.productId} is not in the catalog`);
          return { productId: i.productId, quantity: i.quantity, unitPrice: product.unitPrice };
        });
        const total = items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0);
        const order = {
          id: Bun.randomUUIDv7(),
          userId: r.userId,
          items,
          status: orderV1.OrderStatus.ORDER_STATUS_PENDING,
          currency: "USD",
          total,
          cancelReason: "",
          createdAt: now(),
          updatedAt: now(),
        };
        orders.set(order.id, order);
        return { order };
      }),
      getOrder: method("orders", "getOrder", (r: orderV1.GetOrderRequest) => ({ order: found("order", r.id, orders.get(r.id)) })),
      listOrders: method("orders", "listOrders", (r: orderV1.ListOrdersRequest) => ({
        orders: newestFirst([...orders.values()].filter((o) => !r.userId || o.userId === r.userId)),
        nextPageToken: "",
      })),
      updateOrderStatus: method("orders", "updateOrderStatus", (r: orderV1.UpdateOrderStatusRequest) => {
        const order = found("order", r.id, orders.get(r.id));
        Object.assign(order, { status: r.status, updatedAt: now() });
        return { order };
      }),
      cancelOrder: method("orders", "cancelOrder", (r: orderV1.CancelOrderRequest) => {
        const order = found("order", r.id, orders.get(r.id));
        Object.assign(order, { status: orderV1.OrderStatus.ORDER_STATUS_CANCELLED, cancelReason: r.reason, updatedAt: now() });
        return { order };
      }),
    },
    notifications: {
      close() {},
      listNotifications: method("notifications", "listNotifications", (r: notificationV1.ListNotificationsRequest) => ({
        notifications: newestFirst(notifications.filter((n) => n.userId === r.userId)),
        nextPageToken: "",
      })),
      getPreferences: method("notifications", "getPreferences", () => ({ preferences: [...preferences.values()] })),
      setPreferences: method("notifications", "setPreferences", (r: notificationV1.SetPreferencesRequest) => {
        for (const p of r.preferences) {
          const known = preferences.get(`${p.kind}/${p.channel}`);
          if (!known) throw serviceError(status.INVALID_ARGUMENT, `unknown kind "${p.kind}"`);
          if (known.locked && !p.enabled) throw serviceError(status.INVALID_ARGUMENT, `${p.kind} cannot be switched off`);
          known.enabled = p.enabled;
        }
        return { preferences: [...preferences.values()] };
      }),
      streamNotifications: stream,
    },
    ops: { user: opsOf("user"), order: opsOf("order"), notification: opsOf("notification") },
  };

  return {
    clients,
    /** Every call the gateway made, oldest first. */
    calls,
    /** The feed's changes up to this cursor are no longer kept. */
    pruneFeed(through: number) {
      prunedThrough = through;
    },
    /** The next call, whichever it is, fails with this error. */
    failNextCall(err: ServiceError) {
      failure = err;
    },
  };
}

import { eventsV1 } from "@evented/proto";

export type Envelope = eventsV1.Envelope;
export type Payload = NonNullable<Envelope["payload"]>;
export type EventCase = Payload["$case"];
/** The payload of one event type: PayloadOf<"userDeleted"> is UserDeleted. */
export type PayloadOf<K extends EventCase> = Extract<Payload, { $case: K }>["value"];
/** An envelope known to carry an event of type K (any type by default), as decodeEvent returns it. */
export type EventOf<K extends EventCase = EventCase> = Envelope & { payload: Extract<Payload, { $case: K }> };

/**
 * Every event the system publishes: its name and the subject below the stream's prefix.
 * The one list that publishers, consumers and docs read.
 */
export const EVENTS = {
  userCreated: { type: "UserCreated", subject: "user.created" },
  userUpdated: { type: "UserUpdated", subject: "user.updated" },
  userDeleted: { type: "UserDeleted", subject: "user.deleted" },
  accountEmailRequested: { type: "AccountEmailRequested", subject: "user.account_email_requested" },
  orderCreated: { type: "OrderCreated", subject: "order.created" },
  orderStatusUpdated: { type: "OrderStatusUpdated", subject: "order.status_updated" },
  orderCancelled: { type: "OrderCancelled", subject: "order.cancelled" },
} as const satisfies Record<EventCase, { type: string; subject: string }>;

export const EVENT_VERSION = 1;

/** Where the request that caused an event came from, carried into the event for tracing. */
export interface EventContext {
  requestId?: string;
  traceparent?: string;
  /** The caller's `authorization` (bearer access token), passed on to services called on their behalf; never into an event. */
  authorization?: string;
  /** The end client's address, as the gateway saw it (per-address login limits). */
  clientIp?: string;
}

/**
 * An event about `aggregate`: its id, or its id and the version the change gave it (a service that
 * counts its aggregates' changes: Envelope.aggregate_version).
 */
export function newEvent<P extends Payload>(
  source: string,
  aggregate: string | { id: string; version: number },
  payload: P,
  ctx: EventContext = {},
): Envelope & { payload: P } {
  const { id: aggregateId, version: aggregateVersion } = typeof aggregate === "string" ? { id: aggregate, version: 0 } : aggregate;
  return {
    id: Bun.randomUUIDv7(),
    type: EVENTS[payload.$case].type,
    version: EVENT_VERSION,
    occurredAt: new Date().toISOString(),
    source,
    aggregateId,
    aggregateVersion,
    correlationId: ctx.requestId ?? "",
    traceparent: ctx.traceparent ?? "",
    payload,
  };
}

export function subjectFor(prefix: string, event: EventCase | Envelope): string {
  const key = typeof event === "string" ? event : caseOf(event);
  return `${prefix}.${EVENTS[key].subject}`;
}

export function encodeEvent(event: Envelope): Uint8Array {
  return eventsV1.Envelope.encode(event).finish();
}

/** Decodes and checks an event; throws an Error that says what is wrong with it. */
export function decodeEvent(data: Uint8Array): EventOf {
  const event = eventsV1.Envelope.decode(data);
  if (!event.id) throw new Error("event has no id");
  const key = caseOf(event);
  if (event.type !== EVENTS[key].type) throw new Error(`event type "${event.type}" does not match its payload (${key})`);
  if (event.version !== EVENT_VERSION) throw new Error(`event version ${event.version} is not supported`);
  return event as EventOf;
}

function caseOf(event: Envelope): EventCase {
  if (!event.payload) throw new Error(`event ${event.id || "(no id)"} of type "${event.type}" has no payload`);
  return event.payload.$case;
}

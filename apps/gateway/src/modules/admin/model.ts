import type { opsV1 } from "@evented/proto";
import { t } from "elysia";
import { Time } from "../shared.ts";
import { Readiness } from "../system/index.ts";

const Count = (description: string) => t.Integer({ minimum: 0, description, examples: [0] });
const Service = t.String({ description: "The service (system.ts) that answered", examples: ["notification"] });

export const Ops = t.Object(
  {
    readiness: Readiness,
    outbox: t.Array(
      t.Object({
        service: Service,
        pending: Count("Events written and not yet published to NATS"),
        oldest_age_seconds: t.Number({ minimum: 0, description: "Age of the oldest pending one; 0 when none", examples: [0] }),
      }),
      { description: "Per service that publishes events" },
    ),
    consumers: t.Array(
      t.Object({
        service: Service,
        consumer: t.String({ examples: ["notification"] }),
        pending: Count("In the stream, not yet delivered to the consumer: its lag"),
        ack_pending: Count("Delivered, not acknowledged yet"),
        redelivered: Count("Delivered more than once, not acknowledged yet"),
        dead_letters: Count("Given up on and waiting: neither replayed nor discarded"),
      }),
      { description: "Per durable consumer (JetStream consumer info)" },
    ),
    unavailable: t.Array(t.String({ examples: ["order"] }), { description: "Services that could not be asked (their rows are missing)" }),
  },
  { description: "Readiness, outbox backlog and consumer lag of the whole system" },
);

export const DeadLetter = t.Object(
  {
    id: t.String({ description: "`<service>-<number>`: the service that keeps it and its id there", examples: ["notification-3"] }),
    service: Service,
    consumer: t.String({ examples: ["notification"] }),
    subject: t.String({ examples: ["events.order.created"] }),
    event_id: t.String({ examples: ["01976b8e-4a4e-7cc1-9a7b-2b0c1c9b5e10"] }),
    event_type: t.String({ description: "Empty once discarded (the event is erased)", examples: ["OrderCreated"] }),
    reason: t.String({ description: "Why the consumer gave up", examples: ["handler failed 5 times: user 42 not found"] }),
    deliveries: t.Integer({ examples: [5] }),
    failed_at: Time,
    replayed_at: t.Union([Time, t.Null()]),
    discarded_at: t.Union([Time, t.Null()]),
  },
  { description: "An event a consumer gave up on; replayed_at or discarded_at is set once it was replayed or discarded" },
);

export const DeadLetters = t.Object({ dead_letters: t.Array(DeadLetter) }, { description: "Oldest first, per service" });

export const DeadLettersQuery = t.Object({
  all: t.Optional(t.Boolean({ description: "Also those already replayed or discarded", default: false, error: "all must be true or false" })),
});

// At most 15 digits: every such number is exact as a JavaScript number (and in ops.v1's int64).
const LETTER_ID = "^[a-z][a-z0-9-]*-[1-9][0-9]{0,14}$";
export const LetterParams = t.Object({
  id: t.String({ pattern: LETTER_ID, error: "id must be a dead letter's id, e.g. notification-3", example: "notification-3" }),
});

/** "notification-3" -> the service's ops client (none for a service that does not exist) and its own id. */
export function letterId<C>(id: string, ops: Record<string, C>): { service: string; client: C | undefined; n: number } {
  const at = id.lastIndexOf("-");
  const service = id.slice(0, at);
  const client = Object.hasOwn(ops, service) ? ops[service] : undefined; // "constructor" is no service
  return { service, client, n: Number(id.slice(at + 1)) };
}

export const toDeadLetter = (service: string, l: opsV1.DeadLetter): typeof DeadLetter.static => ({
  id: `${service}-${l.id}`,
  service,
  consumer: l.consumer,
  subject: l.subject,
  event_id: l.eventId,
  event_type: l.eventType,
  reason: l.reason,
  deliveries: l.deliveries,
  failed_at: l.failedAt ?? "",
  replayed_at: l.replayedAt ?? null,
  discarded_at: l.discardedAt ?? null,
});

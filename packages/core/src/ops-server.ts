// What an operator asks every service about its event pipeline (ops.v1.OpsService, admins only):
// its outbox backlog, the lag of its durable consumers, and its dead letters, listed and discarded
// (the same code as `bun run dead-letters`) and replayed by applying them again here, in the
// service that runs their consumer (dead-letters.ts: reapplyDeadLetter).
import type { opsV1 } from "@evented/proto";
import { type CallerAuth, requireAdmin } from "./auth.ts";
import type { Bus } from "./bus.ts";
import type { Subscription } from "./consumer.ts";
import type { Executor } from "./db.ts";
import { countDeadLetters, type DeadLetter, discardDeadLetter, listDeadLetters, reapplyDeadLetter } from "./dead-letters.ts";
import { invalid, notFound } from "./errors.ts";
import { unaryHandlers } from "./grpc.ts";
import type { Logger } from "./logger.ts";
import { outboxBacklog } from "./outbox.ts";

export interface OpsSources {
  db: Executor;
  bus: Bus;
  log: Logger;
  /** The service relays an outbox. */
  outbox: boolean;
  /** The service's durable consumers: their lag is reported, their dead letters replayed with their handlers. */
  subscriptions: Subscription[];
}

export function opsServer({ db, bus, log, outbox: relays, subscriptions }: OpsSources, auth: CallerAuth): opsV1.OpsServiceServer {
  const consumers = subscriptions.map((s) => s.durable);
  // A service that consumes nothing has no dead_letters table.
  const consumes = consumers.length > 0;
  /** A request's dead letter id, checked; none is kept where nothing is consumed. */
  const letterId = (id: number) => {
    if (!Number.isSafeInteger(id) || id <= 0) throw invalid("id must be a dead letter's id");
    if (!consumes) throw notFound(`no dead letter ${id}`);
    return id;
  };
  return unaryHandlers<opsV1.OpsServiceServer>(
    log,
    {
      getPipeline: async (_req, ctx) => {
        requireAdmin(ctx);
        if (!consumes) return { outbox: relays ? await outboxBacklog(db) : undefined, consumers: [] };
        const dead = await countDeadLetters(db);
        const lags = await Promise.all(
          consumers.map(async (consumer) => {
            const info = await bus.jsm.consumers.info(bus.options.stream, consumer);
            const deadLetters = dead.find((d) => d.consumer === consumer)?.n ?? 0;
            return { consumer, pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered, deadLetters };
          }),
        );
        return { outbox: relays ? await outboxBacklog(db) : undefined, consumers: lags };
      },
      listDeadLetters: async (req, ctx) => {
        requireAdmin(ctx);
        return { deadLetters: consumes ? (await listDeadLetters(db, { all: req.all })).map(toProto) : [] };
      },
      replayDeadLetter: async (req, ctx) => {
        requireAdmin(ctx);
        return { deadLetter: toProto(await reapplyDeadLetter(db, subscriptions, letterId(req.id), log)) };
      },
      discardDeadLetter: async (req, ctx) => {
        requireAdmin(ctx);
        return { deadLetter: toProto(await discardDeadLetter(db, letterId(req.id))) };
      },
    },
    auth,
  );
}

const toProto = (l: DeadLetter): opsV1.DeadLetter => ({
  id: l.id,
  consumer: l.consumer,
  subject: l.subject,
  eventId: l.eventId ?? "",
  eventType: l.headers["event-type"] ?? "",
  reason: l.reason,
  deliveries: l.deliveries,
  failedAt: l.createdAt.toISOString(),
  replayedAt: l.replayedAt?.toISOString(),
  discardedAt: l.discardedAt?.toISOString(),
});

import { lt } from "drizzle-orm";
import type { ConsumerMessages, JsMsg } from "nats";
import { nanos } from "nats";
import type { Bus } from "./bus.ts";
import { type Executor, placeholdersFor, prepared, valuesOf } from "./db.ts";
import { errorText, isUnreachable, pgCode } from "./errors.ts";
import { decodeEvent, EVENTS, type EventCase, type EventOf, type PayloadOf, subjectFor } from "./events.ts";
import type { Logger } from "./logger.ts";
import { deadLetters, processedEvents } from "./tables.ts";
import { SpanKind, SpanStatusCode, startSpan } from "./tracing.ts";

/**
 * Applies one event's effect inside `tx`, which also records the event as processed: `payload` is
 * the event's own message (UserDeleted for "userDeleted"), `event` the envelope around it (id,
 * correlation id, trace context). Work to do once `tx` has committed goes through afterCommit.
 */
export type Handler<K extends EventCase> = (payload: PayloadOf<K>, event: EventOf<K>, tx: Executor, log: Logger) => Promise<void>;
/** Handlers by event type; the subscription receives the types it has a handler for, and no other. */
export type Handlers = { [K in EventCase]?: Handler<K> };
/** A handler for every event type: a new event does not compile until it has one. */
export type EveryHandler = { [K in EventCase]: Handler<K> };

/** One durable subscription of a service: under which consumer name, which events handled how. */
export interface Subscription {
  /** Durable consumer name; also the key under which processed events are recorded. */
  durable: string;
  handlers: Handlers;
  /**
   * Within a batch (one transaction), events of different keys run their handlers at once, their
   * statements pipelined on the batch's connection; those of one key in arrival order. Give it
   * only when a handler's reads and writes touch no other key's rows. Without it, one handler
   * after another.
   */
  orderedBy?: (event: EventOf) => string;
}

/** The same handler for every event type, for a worker that reacts to all of them (its payload is any event's). */
export function everyEvent(handle: Handler<EventCase>): EveryHandler {
  return Object.fromEntries(Object.keys(EVENTS).map((k) => [k, handle])) as EveryHandler;
}

/** The event types a subscription handles. */
export const subscribedEvents = (sub: Subscription): EventCase[] => (Object.keys(sub.handlers) as EventCase[]).filter((k) => sub.handlers[k]);

/** Calls the handler for the event's type (the consumer only passes events it has one for). */
function dispatch<K extends EventCase>(handlers: Handlers, event: EventOf<K>, tx: Executor, log: Logger): Promise<void> {
  const handler = handlers[event.payload.$case as K];
  if (!handler) throw new Error(`no handler for ${event.payload.$case}`);
  return handler(event.payload.value as PayloadOf<K>, event, tx, log);
}

/**
 * Applies one event as `sub` inside `tx`: records it in the inbox and runs its handler, unless the
 * inbox already has it (then nothing; false). The consumer's one-event path, and a dead letter's
 * replay (dead-letters.ts). An event type the subscription has no handler for is skipped (false),
 * as the consumer acks those unseen.
 */
export async function applyEvent(sub: Subscription, event: EventOf, tx: Executor, log: Logger): Promise<boolean> {
  if (!sub.handlers[event.payload.$case]) return false;
  const fresh = await recordProcessed(tx, sub.durable, [event.id]);
  if (fresh.length === 0) return false;
  await dispatch(sub.handlers, event, tx, log);
  return true;
}

/** Records events in the consumer's inbox; returns those not there before. */
function recordProcessed(tx: Executor, consumer: string, eventIds: string[]): Promise<{ id: string }[]> {
  const rows = eventIds.map((eventId) => ({ consumer, eventId }));
  const name = `insert_processed_${rows.length}`;
  return prepared(tx, name, (d) =>
    d.insert(processedEvents).values(placeholdersFor(rows)).onConflictDoNothing().returning({ id: processedEvents.eventId }),
  ).execute(valuesOf(rows));
}

export interface ConsumerOptions {
  bus: Bus;
  db: Executor;
  log: Logger;
  /** Handler runs before a message is dead-lettered (default 5). */
  maxAttempts?: number;
  /** Delay before each retry, by attempt (the last one repeats), sent as the nak's delay (default 1 s, 5 s, 15 s, 30 s). */
  backoffMs?: number[];
  /** How long JetStream waits for an ack before it redelivers (a crashed worker's messages; default 30 s). */
  ackWaitMs?: number;
  /** Messages handled at once; events of one aggregate are still handled one after another; at most this many go into one transaction (default 64). */
  concurrency?: number;
}

/** PostgreSQL's answer to a statement in a transaction that an earlier statement made fail. */
const IN_FAILED_TRANSACTION = "25P02";

export const CONSUMER_DEFAULTS = { maxAttempts: 5, backoffMs: [1000, 5000, 15_000, 30_000], ackWaitMs: 30_000, concurrency: 64 } as const;

export interface RunningConsumers {
  stop(): Promise<void>;
}

/**
 * Runs each subscription as a durable JetStream pull consumer. Delivery is at least once;
 * effects are exactly once because each handler runs in a transaction that also inserts
 * (consumer, event id) into processed_events, and a duplicate finds that row and does nothing.
 * A handler that keeps failing is retried with backoff, then stored in dead_letters and
 * terminated, so the messages behind it keep flowing. An outage of the service's own database
 * is never counted against a message: it is retried until the database is back. (Attempts are
 * counted per process: a restart gives a failing message its attempts afresh, never fewer.)
 */
export async function startConsumers(subscriptions: Subscription[], options: ConsumerOptions): Promise<RunningConsumers> {
  const running = await Promise.all(subscriptions.map((s) => runSubscription(s, options)));
  const prune = () => pruneProcessedEvents(options.db).catch((err) => options.log.warn({ err }, "inbox prune failed"));
  const janitor = setInterval(prune, 3600_000);
  return {
    stop: async () => {
      clearInterval(janitor);
      await Promise.all(running.map((stop) => stop()));
    },
  };
}

/**
 * How long an applied event's id is remembered. Far longer than anything can redeliver it (the
 * stream keeps events 7 days; the duplicate window is minutes), so a late copy still finds it.
 */
export const INBOX_RETENTION_MS = 30 * 24 * 3600_000;

export async function pruneProcessedEvents(db: Executor, retentionMs = INBOX_RETENTION_MS): Promise<number> {
  const gone = await db
    .delete(processedEvents)
    .where(lt(processedEvents.processedAt, new Date(Date.now() - retentionMs)))
    .returning({ id: processedEvents.eventId });
  return gone.length;
}

async function runSubscription(sub: Subscription, options: ConsumerOptions): Promise<() => Promise<void>> {
  const d = CONSUMER_DEFAULTS;
  const { bus, db, maxAttempts = d.maxAttempts, backoffMs = d.backoffMs, ackWaitMs = d.ackWaitMs, concurrency = d.concurrency } = options;
  const log = options.log.child({ consumer: sub.durable });
  const prefix = bus.options.prefix;
  const events = subscribedEvents(sub);
  await bus.ensureConsumer({
    durable_name: sub.durable,
    // One filter subject (servers before 2.10 take no list): the event's own, or all events,
    // with the ones this subscription does not want acked unseen below.
    filter_subject: events.length === 1 ? subjectFor(prefix, events[0]!) : `${prefix}.>`,
    ack_wait: nanos(ackWaitMs),
    // Unlimited at the server: this code decides when to give up (dead letter), so JetStream
    // never drops a message silently, not even one whose handler crashed the process.
    max_deliver: -1,
    max_ack_pending: Math.max(concurrency * 4, 64),
  });
  const consumer = await bus.js.consumers.get(bus.options.stream, sub.durable);

  async function deadLetter(m: JsMsg, eventId: string | null, reason: string): Promise<void> {
    const headers: Record<string, string> = {};
    for (const [k, v] of m.headers ?? []) headers[k] = v.join(",");
    await db.insert(deadLetters).values({
      consumer: sub.durable,
      subject: m.subject,
      eventId,
      payload: m.data,
      headers,
      reason,
      deliveries: m.info.deliveryCount,
    });
    // No reason argument: NATS 2.9 does not take "+TERM <reason>" (seen in consumer.test.ts), so the message
    // stayed pending and came back every ack wait as a new dead letter. The reason is stored above.
    m.term();
    log.error({ eventId, subject: m.subject, reason, deliveries: m.info.deliveryCount }, "event dead-lettered");
  }

  /** Handler failures per message (stream sequence), outages not included. */
  const failures = new Map<number, number>();

  /** Applies one event in a transaction of its own (with its inbox row), acks, or retries / dead-letters it. */
  async function handleMessage(m: JsMsg, event: EventOf): Promise<void> {
    // The trace goes on from the request that caused the event (the envelope's traceparent).
    const { span, traceId } = startSpan(`${event.type} process`, SpanKind.CONSUMER, event.traceparent || undefined, {
      "messaging.consumer.group.name": sub.durable,
    });
    const elog = eventLog(event, traceId);
    try {
      const applied = await db.transaction((tx) => applyEvent(sub, event, tx, elog));
      m.ack();
      failures.delete(m.seq);
      elog.debug({ applied }, applied ? "event handled" : "duplicate event skipped");
    } catch (err) {
      await failed(m, event, err, elog);
      span.setStatus({ code: SpanStatusCode.ERROR });
    } finally {
      span.end();
    }
  }

  /** A handler (or the database) failed for this delivery: retry it with backoff, or dead-letter it. */
  async function failed(m: JsMsg, event: EventOf, err: unknown, elog: Logger): Promise<void> {
    const outage = isUnreachable(err);
    const attempt = outage ? m.info.deliveryCount : (failures.get(m.seq) ?? 0) + 1;
    if (!outage) failures.set(m.seq, attempt);
    if (!outage && attempt >= maxAttempts) {
      await deadLetter(m, event.id, errorText(err)).then(
        () => failures.delete(m.seq),
        (e) => {
          elog.warn({ err: e }, "could not store dead letter; will retry");
          m.nak(backoffMs.at(-1));
        },
      );
      return;
    }
    const delay = backoffMs[Math.min(attempt, backoffMs.length) - 1] ?? 1000;
    elog.warn({ err, attempt, retryInMs: delay }, "event handler failed; will retry");
    m.nak(delay);
  }

  const eventLog = (event: EventOf, traceId: string | undefined) =>
    log.child({ eventId: event.id, eventType: event.type, requestId: event.correlationId || undefined, traceId });

  /**
   * Group commit: the events ready at the same moment (at most `concurrency`, never two of one
   * aggregate: each aggregate's next event waits for its previous one) are applied in one
   * transaction: one inbox insert for all of them (the duplicates it finds are skipped), then each
   * fresh event's handler in arrival order (or at once by key: see orderedBy), one commit, then
   * the acks. Still exactly once: an event's effect and its inbox row commit together or not at
   * all. If a handler fails, the batch rolls back, that event's attempt is counted (retried,
   * dead-lettered) as it would be alone, and the others go again without it; any other failure
   * (the database, the commit) sends each event through handleMessage alone. Two batches run at
   * once at most.
   */
  type Pending = { m: JsMsg; event: EventOf; done: () => void };
  let queue: Pending[] = [];
  let batches = 0;
  const MAX_BATCHES = 2;

  function enqueue(m: JsMsg, event: EventOf): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    queue.push({ m, event, done: resolve });
    // The first event of a quiet moment starts a batch once the messages already received are
    // queued too (setImmediate); under load, a batch starts when one ends.
    if (batches < MAX_BATCHES && queue.length === 1) setImmediate(flush);
    return promise;
  }

  function flush(): void {
    if (batches >= MAX_BATCHES || queue.length === 0) return;
    const batch = queue;
    queue = [];
    batches++;
    void applyBatch(batch).finally(() => {
      batches--;
      flush();
    });
  }

  async function applyBatch(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch;
      await handleMessage(only!.m, only!.event);
      only!.done();
      return;
    }
    const spans = batch.map(({ event }) =>
      startSpan(`${event.type} process`, SpanKind.CONSUMER, event.traceparent || undefined, { "messaging.consumer.group.name": sub.durable }),
    );
    const logs = batch.map(({ event }, i) => eventLog(event, spans[i]!.traceId));
    let running = -1;
    try {
      await db.transaction(async (tx) => {
        const fresh = await recordProcessed(
          tx,
          sub.durable,
          batch.map(({ event }) => event.id),
        );
        const applied = new Set(fresh.map((r) => r.id));
        const failure = await runHandlers(
          batch.map(({ event }) => event),
          (event) => applied.has(event.id),
          (event, i) => dispatch(sub.handlers, event, tx, logs[i]!),
        );
        if (failure) {
          running = failure.index;
          throw failure.err;
        }
      });
    } catch (err) {
      for (const s of spans) s.span.end();
      if (running < 0 || isUnreachable(err)) {
        // Not one handler's doing (the database, the commit): each event alone, as without batches.
        for (const { m, event, done } of batch) {
          await handleMessage(m, event);
          done();
        }
        return;
      }
      // The handler of event `running` failed: that is its attempt, counted as it would be alone;
      // the others (rolled back with it) go again, in a batch without it.
      const bad = batch[running]!;
      spans[running]!.span.setStatus({ code: SpanStatusCode.ERROR });
      await failed(bad.m, bad.event, err, logs[running]!);
      bad.done();
      await applyBatch(batch.filter((_, i) => i !== running));
      return;
    }
    for (const [i, { m, done }] of batch.entries()) {
      m.ack();
      failures.delete(m.seq);
      spans[i]!.span.end();
      done();
    }
  }

  /**
   * Runs `handle` for each event that `fresh` admits, in arrival order, or with `sub.orderedBy`,
   * those of different keys at once. Returns the first failure (its index), once every handler
   * started has settled: none may still issue a statement after the transaction has ended, where
   * it would run outside it. After a failure no further handler starts (the transaction is lost).
   */
  async function runHandlers(
    batch: EventOf[],
    fresh: (event: EventOf) => boolean,
    handle: (event: EventOf, index: number) => Promise<void>,
  ): Promise<{ index: number; err: unknown } | undefined> {
    const failures: { index: number; err: unknown }[] = [];
    const run = (event: EventOf, i: number) => async () => {
      if (failures.length > 0) return;
      try {
        await handle(event, i);
      } catch (err) {
        failures.push({ index: i, err }); // a handler that throws before its first await too
      }
    };
    const { orderedBy } = sub;
    if (!orderedBy) {
      for (const [i, event] of batch.entries()) if (fresh(event)) await run(event, i)();
      return failures[0];
    }
    const tails = new Map<string, Promise<void>>();
    for (const [i, event] of batch.entries()) {
      if (!fresh(event)) continue;
      const key = orderedBy(event);
      tails.set(key, (tails.get(key) ?? Promise.resolve()).then(run(event, i)));
    }
    await Promise.all(tails.values());
    // Every statement pipelined after a failed one fails too ("current transaction is aborted"),
    // and may be reported first: the cause is the failure that is not one of those.
    return failures.find((f) => pgCode(f.err) !== IN_FAILED_TRANSACTION) ?? failures[0];
  }

  const wanted = new Set(events);
  let stopping = false;
  let messages: ConsumerMessages | undefined;
  const inflight = new Set<Promise<void>>();
  const tails = new Map<string, Promise<void>>();

  const loop = (async () => {
    messages = await consumer.consume({ max_messages: concurrency * 2 });
    for await (const m of messages) {
      // Stopping: messages already pulled go back at once, for another replica or the next start.
      if (stopping) {
        m.nak();
        continue;
      }
      // A dead letter republished by the operator's command is for the consumer that gave up on it
      // (x-replay-of: <consumer>/<id>). The others applied it, maybe so long ago that their inbox
      // has forgotten it (INBOX_RETENTION_MS, while dead letters wait for as long as it takes).
      const replayOf = m.headers?.get("x-replay-of");
      if (replayOf && replayOf.slice(0, replayOf.lastIndexOf("/")) !== sub.durable) {
        m.ack();
        continue;
      }
      let event: EventOf;
      try {
        event = decodeEvent(m.data);
      } catch (err) {
        await deadLetter(m, m.headers?.get("Nats-Msg-Id") || null, `undecodable event: ${errorText(err)}`).catch((e) => {
          log.warn({ err: e }, "could not store dead letter; will retry");
          m.nak(backoffMs[0]);
        });
        continue;
      }
      if (!wanted.has(event.payload.$case)) {
        m.ack();
        continue;
      }
      while (inflight.size >= concurrency) await Promise.race(inflight);
      if (stopping) {
        m.nak();
        continue;
      }
      // Chain per aggregate: one order's events are applied in the order they were published. Not
      // across a retry: a failed event is nak'd with a delay and its successors already here go on
      // without it, so a handler that overwrites state keeps the version it applied and leaves an
      // older one alone (Envelope.aggregate_version; the notification worker's recipients).
      const key = event.aggregateId;
      // A task never rejects: an ack or nak that throws (connection gone) must not skip the
      // aggregate's next event nor end this loop; the message comes back after the ack wait.
      const task = (tails.get(key) ?? Promise.resolve())
        .then(() => enqueue(m, event))
        .catch((err) => log.error({ err, eventId: event.id }, "message handling failed"));
      tails.set(key, task);
      inflight.add(task);
      void task.finally(() => {
        inflight.delete(task);
        if (tails.get(key) === task) tails.delete(key);
      });
    }
  })();
  loop.catch((err) => log.error({ err }, "consumer loop stopped"));

  log.info({ events }, "consuming");
  return async () => {
    stopping = true;
    await messages?.close();
    // Every handler already started finishes (and acks) before the database and NATS are closed.
    while (inflight.size > 0) await Promise.allSettled([...inflight]);
  };
}

import { type CallMeta, isServiceError, notFound, status } from "@evented/core";
import type { opsV1 } from "@evented/proto";
import { Elysia } from "elysia";
import type { Clients } from "../../clients.ts";
import { requestMeta } from "../../context.ts";
import { errorResponses } from "../../errors.ts";
import { type Downstream, readiness } from "../system/index.ts";
import { DeadLetters, DeadLettersQuery, DeadLetter as Letter, LetterParams, letterId, Ops, toDeadLetter } from "./model.ts";

/**
 * Operations, for admins: every service answers for its own pipeline (ops.v1) and refuses anyone
 * else (401/403), so a customer learns nothing here. The gateway only gathers the answers.
 */
export const admin = ({ ops }: Clients, downstream: Downstream = {}) =>
  new Elysia({ prefix: "/admin", tags: ["admin"] })
    .use(requestMeta)
    .get(
      "/ops",
      async ({ meta }) => {
        const [asked, ready] = await Promise.all([askAll(ops, (c) => c.getPipeline({}, meta), { tolerateDown: true }), readiness(downstream)]);
        return {
          readiness: ready,
          outbox: asked.answers.flatMap(([service, p]) =>
            p.outbox ? [{ service, pending: p.outbox.pending, oldest_age_seconds: Math.round(p.outbox.oldestAgeSeconds * 1000) / 1000 }] : [],
          ),
          consumers: asked.answers.flatMap(([service, p]) =>
            p.consumers.map((c) => ({
              service,
              consumer: c.consumer,
              pending: c.pending,
              ack_pending: c.ackPending,
              redelivered: c.redelivered,
              dead_letters: c.deadLetters,
            })),
          ),
          unavailable: asked.down,
        };
      },
      {
        response: { 200: Ops, ...errorResponses(400, 401, 403, 500, 503, 504) },
        detail: {
          summary: "Operations overview",
          description:
            "Readiness (as /ready), each service's outbox backlog and each durable consumer's lag. A service that cannot be asked is named in `unavailable`.",
        },
      },
    )
    .get(
      "/dead-letters",
      async ({ query, meta }) => {
        const { answers } = await askAll(ops, (c) => c.listDeadLetters({ all: query.all ?? false }, meta));
        return { dead_letters: answers.flatMap(([service, r]) => r.deadLetters.map((l) => toDeadLetter(service, l))) };
      },
      {
        query: DeadLettersQuery,
        response: { 200: DeadLetters, ...errorResponses(400, 401, 403, 500, 503, 504) },
        detail: { summary: "Dead letters", description: "Events a consumer gave up on, with the reason; those replayed or discarded only with `all=true`." },
      },
    )
    .post("/dead-letters/:id/replay", ({ params, meta }) => settle(ops, params.id, meta, (c, id) => c.replayDeadLetter({ id }, meta)), {
      params: LetterParams,
      response: { 200: Letter, ...errorResponses(400, 401, 403, 404, 409, 500, 503, 504) },
      detail: {
        summary: "Replay a dead letter",
        description:
          "The service that runs the dead letter's consumer applies the event again with that consumer's handler, in one transaction with marking it replayed; an event applied meanwhile is not applied twice. 404 for an unknown id, 409 for one already replayed or discarded, 400 FAILED_PRECONDITION if it fails again (nothing changes: it keeps waiting, the message says why), 503 if a dependency is down.",
      },
    })
    .delete("/dead-letters/:id", ({ params, meta }) => settle(ops, params.id, meta, (c, id) => c.discardDeadLetter({ id }, meta)), {
      params: LetterParams,
      response: { 200: Letter, ...errorResponses(400, 401, 403, 404, 409, 500, 503, 504) },
      detail: {
        summary: "Discard a dead letter",
        description:
          "For an event that is never to be applied (obsolete, or wrong): its service marks the dead letter discarded and erases the event it held (it may carry a user's personal data), keeping that it was. It no longer waits nor counts; `all=true` lists it, with an empty `event_type`. 404 for an unknown id, 409 for one already replayed or discarded.",
      },
    });

type OpsClient = Clients["ops"][string];

/**
 * Replays or discards (`call`) a dead letter `<service>-<n>` in the service that keeps it. A service
 * that does not exist is 404, but only to admins: the others get 401/403 from the services, as
 * for any id.
 */
async function settle(ops: Clients["ops"], id: string, meta: CallMeta, call: (client: OpsClient, n: number) => Promise<{ deadLetter?: opsV1.DeadLetter }>) {
  const { service, client, n } = letterId(id, ops);
  if (!client) {
    await askAll(ops, (c) => c.getPipeline({}, meta), { tolerateDown: true });
    throw notFound(`no dead letter ${id}`);
  }
  const { deadLetter } = await call(client, n);
  if (!deadLetter) throw new Error("service answered without the dead letter");
  return toDeadLetter(service, deadLetter);
}

/**
 * Asks every service; a refusal (401, 403) is the answer for all. With `tolerateDown`, services
 * that cannot be reached are named rather than failing the whole answer (unless none answered).
 */
async function askAll<C, R>(clients: Record<string, C>, ask: (c: C) => Promise<R>, { tolerateDown = false } = {}) {
  const names = Object.keys(clients);
  const results = await Promise.allSettled(names.map((name) => ask(clients[name]!)));
  const refused = results.find(
    (r) => r.status === "rejected" && isServiceError(r.reason) && [status.UNAUTHENTICATED, status.PERMISSION_DENIED].includes(r.reason.code),
  );
  if (refused) throw (refused as PromiseRejectedResult).reason;
  const answers: [string, R][] = [];
  const down: string[] = [];
  results.forEach((r, i) => {
    if (r.status === "fulfilled") answers.push([names[i]!, r.value]);
    else if (tolerateDown && isServiceError(r.reason) && [status.UNAVAILABLE, status.DEADLINE_EXCEEDED].includes(r.reason.code)) down.push(names[i]!);
    else throw r.reason;
  });
  if (answers.length === 0 && down.length > 0) throw results.find((r) => r.status === "rejected")!.reason;
  return { answers, down };
}

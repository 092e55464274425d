import { Elysia, sse, t } from "elysia";
import type { Clients } from "../../clients.ts";
import { requestMeta } from "../../context.ts";
import { errorResponses } from "../../errors.ts";
import { Notification, toNotification } from "../users/model.ts";
import { Preferences, PreferencesBody, StreamHeaders, StreamQuery, StreamReset, toPreferences } from "./model.ts";
import { Relay } from "./relay.ts";

export interface StreamOptions {
  /** A comment line this often keeps proxies, and the server's own idle timeout (Elysia sets 30 s), from closing an idle stream. */
  heartbeatMs?: number;
  /** Aborted on shutdown: every open stream ends, so the server need not wait for them. */
  shutdown?: AbortSignal;
}

const OPEN_TIMEOUT_MS = 5000;
const REOPEN_FOR_MS = 10_000;

/** A comment line (": ..."): EventSource and Eden skip it. Typed `never` so the stream's type stays the notification's. */
const comment = (text: string) => ({ sse: true, toSSE: () => `: ${text}\n\n` }) as never;

// The caller's own notifications: their preferences and their live feed.
export const notifications = ({ notifications }: Clients, { heartbeatMs = 15_000, shutdown }: StreamOptions = {}) =>
  new Elysia({ prefix: "/me", tags: ["users"] })
    .use(requestMeta)
    .get("/notification-preferences", async ({ meta }) => toPreferences(await notifications.getPreferences({ userId: "" }, meta)), {
      response: { 200: Preferences, ...errorResponses(400, 401, 500, 503, 504) },
      detail: { summary: "My notification preferences", description: "Each kind and channel, enabled unless switched off." },
    })
    .put(
      "/notification-preferences",
      async ({ body, meta }) =>
        toPreferences(await notifications.setPreferences({ userId: "", preferences: body.preferences.map((p) => ({ ...p, locked: false })) }, meta)),
      {
        body: PreferencesBody,
        response: { 200: Preferences, ...errorResponses(400, 401, 500, 503, 504) },
        detail: {
          summary: "Switch notifications on or off",
          description:
            "Per kind and channel; those not named stay as they are. A switched-off delivery is recorded as `suppressed` (last_error `switched_off`). 400 for a kind or channel the system does not send, and for switching off verify_email, password_reset or invitation: the links into an account are always sent.",
        },
      },
    )
    .get(
      "/notifications/stream",
      async function* ({ headers, query, meta, set }) {
        const open = (after: string) => new Relay(notifications.streamNotifications({ after }, meta), heartbeatMs, shutdown);
        let relay = open(headers["last-event-id"] ?? query.last_event_id ?? "");
        try {
          // Opened (authenticated, cursor valid) or the error's status, before a byte of the response.
          let cursor = await relay.opened(OPEN_TIMEOUT_MS);
          set.headers["x-accel-buffering"] = "no"; // a proxy (nginx) passes each event on at once
          yield comment("subscribed");
          for (;;) {
            const item = await relay.next();
            if (item === "beat") {
              yield comment("heartbeat");
              continue;
            }
            if (shutdown?.aborted) return; // the client resumes on another gateway with Last-Event-ID
            if (item === "end" || "error" in item) {
              // The service's side ended (a replica stopping, the connection's age): go on from the
              // last change passed on, on the same response. If it cannot be reopened, end it.
              relay.close();
              const reopened = await reopen(open, cursor, shutdown);
              if (!reopened) return;
              relay = reopened;
              continue;
            }
            const { message } = item.message;
            if (message?.$case === "change" && message.value.notification) {
              cursor = message.value.cursor;
              yield sse({ id: cursor, event: "notification", data: toNotification(message.value.notification) });
            }
            if (message?.$case === "reset") {
              cursor = message.value.cursor;
              yield sse({ id: cursor, event: "reset", data: { reason: "pruned" } satisfies typeof StreamReset.static });
            }
          }
        } finally {
          relay.close();
        }
      },
      {
        headers: StreamHeaders,
        query: StreamQuery,
        response: errorResponses(400, 401, 500, 503, 504),
        detail: {
          summary: "My notifications, live (Server-Sent Events)",
          description:
            'Each new notification of mine, and each change of one\'s delivery status, as it happens: `id:` a cursor, `event: notification`, `data:` the notification as it is now (as in GET /users/{id}/notifications). Reconnect with `Last-Event-ID` (or `?last_event_id=`) to get everything after it, in order, once, from any gateway; without one, the stream starts now. The feed keeps changes for 7 days: when some after the cursor are gone, the stream says so before the rest, with `event: reset`, `data: {"reason":"pruned"}` and an `id:` to resume after; what the client shows may then be stale, so it loads the list again (GET /users/{id}/notifications) and goes on reading: the changes after that `id` follow. Comment lines are heartbeats. At most 5 open streams per user (429).',
          "x-event-stream": {
            description:
              "Events `notification`, each `data` a notification as it is now, and `reset` (changes after the cursor are no longer kept: load the list again), `data` why; each `id` the cursor to resume after",
            schema: t.Union([Notification, StreamReset]),
            example:
              'id: 40\nevent: reset\ndata: {"reason":"pruned"}\n\nid: 42\nevent: notification\ndata: {"id":"01976b8e-4a4e-7cc1-9a7b-2b0c1c9b5e10","kind":"order_status",...}\n\n',
          },
        },
      },
    );

/**
 * Opens the service's stream again after `cursor`, trying for up to REOPEN_FOR_MS (a restart, a
 * replica taking over); undefined if it stays away: then the response ends and the client reconnects.
 */
async function reopen(open: (after: string) => Relay, cursor: string, shutdown?: AbortSignal): Promise<Relay | undefined> {
  const until = Date.now() + REOPEN_FOR_MS;
  while (Date.now() < until) {
    await Bun.sleep(250);
    if (shutdown?.aborted) return undefined;
    const relay = open(cursor);
    try {
      await relay.opened(OPEN_TIMEOUT_MS);
      return relay;
    } catch {
      relay.close();
    }
  }
  return undefined;
}

import { AppError, status } from "@evented/core";
import type { notificationV1 } from "@evented/proto";
import type { ClientReadableStream } from "@grpc/grpc-js";
import { Elysia, sse } from "elysia";
import type { Clients } from "../../clients.ts";
import { requestMeta } from "../../context.ts";
import { errorResponses } from "../../errors.ts";
import { Notification, toNotification } from "../users/model.ts";
import { Preferences, PreferencesBody, StreamHeaders, StreamQuery, toPreferences } from "./model.ts";

export interface StreamOptions {
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs?: number;
  /** Aborted on shutdown: every open stream ends, so the server need not wait for them. */
  shutdown?: AbortSignal;
}

const OPEN_TIMEOUT_MS = 5000;

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
        const after = headers["last-event-id"] ?? query.last_event_id ?? "";
        const call = notifications.streamNotifications({ after }, meta);
        const messages = call[Symbol.asyncIterator]() as AsyncIterator<notificationV1.StreamNotificationsResponse>;
        let next: Promise<IteratorResult<notificationV1.StreamNotificationsResponse>> | undefined;
        try {
          // Opened (authenticated, cursor valid) or the error's status, before a byte of the response.
          await opened(call, messages);
          set.headers["x-accel-buffering"] = "no"; // a proxy (nginx) passes each event on at once
          yield comment("subscribed");
          const ended = shutdown ? new Promise<"end">((resolve) => shutdown.addEventListener("abort", () => resolve("end"), { once: true })) : undefined;
          next = messages.next();
          for (;;) {
            const beat = Bun.sleep(heartbeatMs).then(() => "beat" as const);
            const got = await Promise.race([next, beat, ...(ended ? [ended] : [])]);
            if (got === "end" || shutdown?.aborted) return;
            if (got === "beat") {
              yield comment("heartbeat");
              continue;
            }
            if (got.done) return; // the service ended it (it stops): the client resumes elsewhere
            next = messages.next();
            const change = got.value.message?.$case === "change" ? got.value.message.value : undefined;
            if (change?.notification) yield sse({ id: change.cursor, event: "notification", data: toNotification(change.notification) });
          }
        } finally {
          // The client went (or the gateway stops): cancelling makes the pending read fail with CANCELLED, which nobody needs.
          next?.catch(() => {});
          call.on("error", () => {});
          call.cancel();
        }
      },
      {
        headers: StreamHeaders,
        query: StreamQuery,
        response: errorResponses(400, 401, 500, 503, 504),
        detail: {
          summary: "My notifications, live (Server-Sent Events)",
          description:
            "Each new notification of mine, and each change of one's delivery status, as it happens: `id:` a cursor, `event: notification`, `data:` the notification as it is now (as in GET /users/{id}/notifications). Reconnect with `Last-Event-ID` (or `?last_event_id=`) to get everything after it, in order, once, from any gateway; without one, the stream starts now. Comment lines are heartbeats. At most 5 open streams per user (429). The feed keeps changes for 7 days.",
          "x-event-stream": {
            description: "Events `notification`, each `data` a notification as it is now (this schema), its `id` the cursor to resume after",
            schema: Notification,
            example: 'id: 42\nevent: notification\ndata: {"id":"01976b8e-4a4e-7cc1-9a7b-2b0c1c9b5e10","kind":"order_status",...}\n\n',
          },
        },
      },
    );

/** Waits for the service's first message (subscribed); its error (UNAVAILABLE, UNAUTHENTICATED, ...) is thrown. */
async function opened(
  call: ClientReadableStream<notificationV1.StreamNotificationsResponse>,
  messages: AsyncIterator<notificationV1.StreamNotificationsResponse>,
): Promise<void> {
  let timer: Timer | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), OPEN_TIMEOUT_MS);
  });
  try {
    const first = await Promise.race([messages.next(), late]);
    if (first === "late") {
      call.cancel();
      throw new AppError(status.DEADLINE_EXCEEDED, "the notification service did not open the stream in time");
    }
    if (first.done || first.value.message?.$case !== "subscribed") throw new AppError(status.UNAVAILABLE, "the notification service did not open the stream");
  } finally {
    clearTimeout(timer);
  }
}

import type { notificationV1 } from "@evented/proto";
import { t } from "elysia";

const Channel = t.Union([t.Literal("email"), t.Literal("sms"), t.Literal("push")], { error: "channel must be email, sms or push", examples: ["email"] });

export const Preference = t.Object({
  kind: t.String({ minLength: 1, maxLength: 64, examples: ["order_confirmation"], error: "kind must be a notification kind" }),
  channel: Channel,
  enabled: t.Boolean({ examples: [false], error: "enabled must be true or false" }),
});

export const Preferences = t.Object(
  {
    preferences: t.Array(
      t.Object({
        ...Preference.properties,
        locked: t.Boolean({ description: "Security messages (verify_email, password_reset, invitation) are always sent", examples: [false] }),
      }),
    ),
  },
  { description: "Every kind the system sends on every channel it uses for it; enabled unless switched off" },
);

export const PreferencesBody = t.Object(
  { preferences: t.Array(Preference, { maxItems: 100, error: "preferences must be a list of { kind, channel, enabled }" }) },
  { examples: [{ preferences: [{ kind: "order_confirmation", channel: "email", enabled: false }] }] },
);

/** The data of the stream's `reset` event: why what the client shows may be stale. */
export const StreamReset = t.Object(
  { reason: t.Literal("pruned", { description: "Changes after the cursor are no longer kept: the feed keeps them 7 days" }) },
  { title: "StreamReset" },
);

export const StreamQuery = t.Object({
  last_event_id: t.Optional(
    t.String({ maxLength: 32, description: "For clients that cannot send the Last-Event-ID header: the same cursor", error: "last_event_id is not valid" }),
  ),
});

export const StreamHeaders = t.Object({
  "last-event-id": t.Optional(
    t.String({ maxLength: 32, description: "The id of the last event received: the stream resumes right after it", error: "Last-Event-ID is not valid" }),
  ),
});

export const toPreferences = (p: notificationV1.GetPreferencesResponse) => ({
  preferences: p.preferences.map((x) => ({ kind: x.kind, channel: x.channel as "email" | "sms" | "push", enabled: x.enabled, locked: x.locked })),
});

import { afterCommit, type EventOf, type Executor, everyEvent, type Subscription } from "@evented/core";
import type { Deliverer } from "./deliverer.ts";
import { messageFor } from "./messages.ts";
import { switchedOff } from "./preferences.ts";
import { eraseAgain, findPreferences, findRecipient, insertNotification, markRecipientDeleted, saveRecipient } from "./repository.ts";
import type { Recipient } from "./schema.ts";

/** The worker's one subscription: every event, turned into contact upkeep and notifications. */
export function subscriptions(deliverer: Deliverer): Subscription[] {
  const deliver = () => deliverer.kick();
  return [
    {
      durable: "notification",
      // A handler reads and writes only its user's rows (contact details, preferences, their
      // notifications): a batch's users are served at once, one round trip for all of them.
      orderedBy: ({ payload }) => payload.value.userId,
      handlers: everyEvent(async ({ userId }, event, tx, log) => {
        // Asked together, so they share one round trip (a transaction's statements are pipelined).
        const [recipient, switched] = await Promise.all([
          (async () => (await keepContactDetails(tx, event)) ?? (await findRecipient(tx, userId)))(),
          findPreferences(tx, userId),
        ]);
        const { channels, sealedToken, ...content } = messageFor(event, recipient?.name ?? "", Boolean(recipient?.phone));
        const sealed = sealedToken && Buffer.from(sealedToken);
        // What the user switched off for this kind is recorded as suppressed: they see it was not
        // sent, and why. (A locked kind is sent whatever the preferences say.)
        const off = switchedOff(
          content.kind,
          channels,
          switched.filter((p) => p.kind === content.kind),
        );
        await insertNotification(tx, { id: Bun.randomUUIDv7(), eventId: event.id, eventType: event.type, ...content, sealedToken: sealed }, channels, off);
        // Recorded for someone already gone (an event retried after the deletion): erased with the rest.
        if (recipient?.deletedAt && event.payload.$case !== "userDeleted") await eraseAgain(tx, userId);
        afterCommit(tx, deliver); // the deliverer sends it once it is committed
        log.info({ userId, kind: content.kind, channels, switchedOff: [...off] }, "notification recorded");
      }),
    },
  ];
}

/**
 * UserCreated and UserUpdated carry the contact details: keep this service's copy current, and
 * return them; an event older than the copy (a retry that came after a newer one, or after the
 * deletion) leaves it, and returns nothing. UserDeleted marks the copy as gone (kept for the
 * goodbye, then erased: see eraseDepartedRecipients); an older UserDeleted that still carries
 * details fills them in first.
 */
async function keepContactDetails(
  tx: Executor,
  { aggregateVersion, payload: p }: EventOf,
): Promise<Pick<Recipient, "name" | "phone" | "deletedAt"> | undefined> {
  if (p.$case === "userDeleted") {
    const { userId, name, email, phone } = p.value;
    if (email) await saveRecipient(tx, { userId, name, email, phone }, aggregateVersion);
    return markRecipientDeleted(tx, userId);
  }
  if (p.$case !== "userCreated" && p.$case !== "userUpdated") return undefined;
  const { userId, name, email, phone } = p.value;
  return (await saveRecipient(tx, { userId, name, email, phone }, aggregateVersion)) ? { name, phone, deletedAt: null } : undefined;
}

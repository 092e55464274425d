import type { Envelope, Executor, Subscription } from "@evented/core";
import type { Deliverer } from "./deliverer.ts";
import { messageFor } from "./messages.ts";
import { findRecipient, insertNotification, saveRecipient } from "./repository.ts";
import type { Recipient } from "./schema.ts";

/** The worker's one subscription: every event, turned into contact upkeep and notifications. */
export function subscriptions(deliverer: Deliverer): Subscription[] {
  return [
    {
      durable: "notification",
      events: ["userCreated", "userUpdated", "userDeleted", "orderCreated", "orderStatusUpdated", "orderCancelled"],
      async handle(event, tx, log) {
        const { userId } = event.payload!.value; // every payload names its user; decodeEvent checked there is one
        const recipient = (await keepContactDetails(tx, event)) ?? (await findRecipient(tx, userId));
        const message = messageFor(event, recipient?.name ?? "", Boolean(recipient?.phone));
        if (!message) return;
        const { channels, ...content } = message;
        await insertNotification(tx, { id: Bun.randomUUIDv7(), eventId: event.id, eventType: event.type, ...content }, channels);
        log.info({ userId, kind: message.kind, channels }, "notification recorded");
      },
      afterCommit: () => deliverer.kick(),
    },
  ];
}

/** User events carry the contact details: keep this service's copy current, and return them. */
async function keepContactDetails(tx: Executor, event: Envelope): Promise<Pick<Recipient, "name" | "phone"> | undefined> {
  const p = event.payload;
  if (p?.$case !== "userCreated" && p?.$case !== "userUpdated" && p?.$case !== "userDeleted") return undefined;
  const { userId, name, email, phone } = p.value;
  await saveRecipient(tx, { userId, name, email, phone }, p.$case === "userDeleted");
  return { name, phone };
}

import type { Envelope, Executor, Subscription } from "@evented/core";
import type { Deliverer } from "./deliverer.ts";
import { messageFor } from "./messages.ts";
import { findRecipient, insertNotification, saveRecipient } from "./repository.ts";

/** The worker's one subscription: every event, turned into contact upkeep and notifications. */
export function subscriptions(deliverer: Deliverer): Subscription[] {
  return [
    {
      durable: "notification",
      events: ["userCreated", "userUpdated", "userDeleted", "orderCreated", "orderStatusUpdated", "orderCancelled"],
      async handle(event, tx, log) {
        await keepContactDetails(tx, event);
        const userId = "userId" in (event.payload?.value ?? {}) ? event.payload!.value.userId : "";
        const recipient = userId ? await findRecipient(tx, userId) : undefined;
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

async function keepContactDetails(tx: Executor, event: Envelope): Promise<void> {
  const p = event.payload;
  if (p?.$case === "userCreated" || p?.$case === "userUpdated") {
    const { userId, name, email, phone } = p.value;
    await saveRecipient(tx, { userId, name, email, phone });
  } else if (p?.$case === "userDeleted") {
    const { userId, name, email, phone } = p.value;
    await saveRecipient(tx, { userId, name, email, phone }, true);
  }
}

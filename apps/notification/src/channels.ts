import type { Logger } from "@evented/core";
import type { ChannelName, Recipient } from "./schema.ts";

/** One message on its way out of the system. */
export interface Outgoing {
  /** Stable across retries: receivers use it to drop a duplicate (Idempotency-Key, Message-ID). */
  deliveryId: number;
  notificationId: string;
  userId: string;
  kind: string;
  to: string;
  name: string;
  subject: string;
  body: string;
}

export interface Channel {
  readonly name: ChannelName;
  /** Where this recipient is reached on this channel, or undefined when they cannot be. */
  address(recipient: Recipient): string | undefined;
  /** Resolves once the provider accepted the message; throws PermanentError when retrying cannot help. */
  send(message: Outgoing): Promise<void>;
  /** Where it sends, safe to log (no credentials). */
  readonly describe: string;
  close?(): void;
}

/** The provider refused this message for good (bad address, rejected request): retrying cannot help. */
export class PermanentError extends Error {
  override name = "PermanentError";
}

export const addressOf: Record<ChannelName, (r: Recipient) => string | undefined> = {
  email: (r) => r.email || undefined,
  sms: (r) => r.phone || undefined,
  // Push providers address users; they map users to devices.
  push: (r) => r.userId,
};

/** Development channel: the notification becomes a log line. */
export function logChannel(name: ChannelName, log: Logger): Channel {
  return {
    name,
    describe: "log",
    address: addressOf[name],
    async send(m) {
      log.info({ channel: name, deliveryId: m.deliveryId, to: m.to, kind: m.kind, subject: m.subject }, "notification sent (log channel)");
    },
  };
}

import nodemailer, { type SendMailOptions } from "nodemailer";
import { addressOf, type Channel, PermanentError } from "./channels.ts";
import { type ChannelConfig, senderDomain } from "./config.ts";

/**
 * Email over SMTP (nodemailer, pooled connections). Each delivery is one message whose
 * Message-ID is derived from the delivery, so a resend after a crash carries the same id and
 * mail systems can drop the duplicate.
 */
export function emailChannel({ smtpUrl, from, timeoutMs }: NonNullable<ChannelConfig["email"]>): Channel {
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: 5,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    logger: false,
  });
  const domain = senderDomain(from)!;
  const server = new URL(smtpUrl);
  return {
    name: "email",
    describe: `${server.protocol}//${server.host}`,
    address: addressOf.email,
    async send(m) {
      try {
        // `signal` is nodemailer 10's; its published types predate it.
        const mail: SendMailOptions & { signal: AbortSignal } = {
          from,
          to: m.name ? { name: m.name, address: m.to } : m.to,
          subject: m.subject,
          text: m.body,
          messageId: `<delivery-${m.deliveryId}.${m.notificationId}@${domain}>`,
          headers: { "X-Notification-Kind": m.kind, "X-Delivery-Id": String(m.deliveryId) },
          // A hard bound on the whole send (nodemailer's own timeouts are per step), so it ends
          // well inside the delivery's lease.
          signal: AbortSignal.timeout(timeoutMs),
        };
        await transport.sendMail(mail);
      } catch (err) {
        throw refusedForGood(err) ? new PermanentError(smtpMessage(err)) : new Error(smtpMessage(err));
      }
    },
    close: () => transport.close(),
  };
}

interface SmtpError {
  code?: string;
  responseCode?: number;
  permanent?: boolean;
  message?: string;
}

/** The server refused this message or its recipient with a 5xx, or the address is unusable. Auth and connection trouble is ours: retried. */
function refusedForGood(err: unknown): boolean {
  const e = err as SmtpError;
  return (e.code === "EENVELOPE" || e.code === "EMESSAGE") && (e.responseCode === undefined || e.permanent === true);
}

function smtpMessage(err: unknown): string {
  const e = err as SmtpError;
  return `smtp ${e.code ?? "error"}: ${e.message ?? String(err)}`;
}

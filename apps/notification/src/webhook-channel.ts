import { addressOf, type Channel, PermanentError } from "./channels.ts";
import type { ChannelConfig } from "./config.ts";

type WebhookConfig = NonNullable<ChannelConfig["sms"]>;

/**
 * SMS and push through an HTTP provider, webhook style: one JSON POST per delivery.
 * Headers: Content-Type: application/json, Idempotency-Key: <notification id>:<channel> (stable
 * across retries so the provider can drop a duplicate, and unique across databases: a notification
 * id is a UUIDv7, a delivery id only a serial), Authorization: Bearer <token> when configured.
 * Any 2xx is accepted. 408, 425, 429 and 5xx, timeouts and network errors are retried; any other
 * answer (400, 401, 404, ...) means this request will never succeed and fails the delivery.
 */
export function webhookChannel(name: "sms" | "push", { url, token, timeoutMs }: WebhookConfig): Channel {
  const target = new URL(url);
  return {
    name,
    describe: `${target.origin}${target.pathname}`,
    address: addressOf[name],
    async send(m) {
      const payload = {
        delivery_id: String(m.deliveryId),
        notification_id: m.notificationId,
        channel: name,
        to: m.to,
        user_id: m.userId,
        name: m.name,
        kind: m.kind,
        subject: m.subject,
        body: m.body,
      };
      const headers: Record<string, string> = {
        "Content-Type": "application/json",
        "Idempotency-Key": `${m.notificationId}:${name}`,
        "User-Agent": "evented-notification",
      };
      if (token) headers.Authorization = `Bearer ${token}`;
      let res: Response;
      try {
        res = await fetch(url, { method: "POST", headers, body: JSON.stringify(payload), redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        const reason =
          err instanceof Error && err.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : String(err instanceof Error ? err.message : err);
        throw new Error(`${name} webhook unreachable: ${reason}`);
      }
      const detail = (await res.text().catch(() => "")).slice(0, 200);
      if (res.ok) return;
      const message = `${name} webhook answered ${res.status}${detail ? `: ${detail}` : ""}`;
      throw retryable(res.status) ? new Error(message) : new PermanentError(message);
    },
  };
}

const retryable = (status: number) => status === 408 || status === 425 || status === 429 || status >= 500;

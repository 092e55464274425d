import { expect, setDefaultTimeout, test } from "bun:test";
import { runUntilExit, variablesDocumented, variablesRead } from "@evented/testing";
import { readConfig } from "./config.ts";

setDefaultTimeout(30_000);

const errorOf = (env: Record<string, string>) => {
  try {
    readConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected a configuration error");
};

test("with no channel configured every channel logs, with bounded retries by default", () => {
  const { channels, delivery } = readConfig({});
  expect(channels).toEqual({ email: undefined, sms: undefined, push: undefined });
  expect(delivery).toEqual({ maxAttempts: 8, backoffMs: [5000, 30_000, 120_000, 600_000, 1_800_000], leaseMs: 60_000, pollMs: 1000, sendTimeoutMs: 10_000 });
});

test("channels are read from SMTP_URL, EMAIL_FROM and the webhook URLs", () => {
  const { channels, delivery } = readConfig({
    SMTP_URL: "smtps://mailer:pw@smtp.example.com:465",
    EMAIL_FROM: "Shop <no-reply@shop.example>",
    SMS_WEBHOOK_URL: "https://sms.example.com/v1/messages",
    SMS_WEBHOOK_TOKEN: "t0ken",
    PUSH_WEBHOOK_URL: "http://push.internal:8080/send",
    NOTIFICATION_SEND_TIMEOUT_MS: "3000",
    NOTIFICATION_DELIVERY_BACKOFF_MS: "100, 200,400",
  });
  expect(channels).toEqual({
    email: { smtpUrl: "smtps://mailer:pw@smtp.example.com:465", from: "Shop <no-reply@shop.example>", timeoutMs: 3000 },
    sms: { url: "https://sms.example.com/v1/messages", token: "t0ken", timeoutMs: 3000 },
    push: { url: "http://push.internal:8080/send", token: undefined, timeoutMs: 3000 },
  });
  expect(delivery.backoffMs).toEqual([100, 200, 400]);
});

test("bad values stop start-up with a message naming the variable, never the password", () => {
  const badScheme = errorOf({ SMTP_URL: "http://mailer:hunter2@smtp.example.com" });
  expect(badScheme).toBe('SMTP_URL must use smtp: or smtps:, got "http:"');
  const notUrl = errorOf({ SMTP_URL: "smtp://mailer:hunter2@bad host:25" });
  expect(notUrl).toStartWith("SMTP_URL must be a URL");
  expect(notUrl).not.toContain("hunter2");
  expect(errorOf({ SMTP_URL: "smtp://127.0.0.1:25" })).toBe("EMAIL_FROM is required when SMTP_URL is set");
  expect(errorOf({ SMTP_URL: "smtp://127.0.0.1:25", EMAIL_FROM: "nobody" })).toStartWith("EMAIL_FROM must be an address");
  expect(errorOf({ SMS_WEBHOOK_URL: "ftp://sms.example.com" })).toBe('SMS_WEBHOOK_URL must use http: or https:, got "ftp:"');
  expect(errorOf({ NOTIFICATION_DELIVERY_BACKOFF_MS: "1s,5s" })).toStartWith("NOTIFICATION_DELIVERY_BACKOFF_MS must be a comma-separated list");
  expect(errorOf({ NOTIFICATION_DELIVERY_MAX_ATTEMPTS: "0" })).toStartWith("NOTIFICATION_DELIVERY_MAX_ATTEMPTS must be a whole number from 1");
  expect(errorOf({ NOTIFICATION_SEND_TIMEOUT_MS: "40000" })).toBe(
    "NOTIFICATION_DELIVERY_LEASE_MS (60000) must be at least twice NOTIFICATION_SEND_TIMEOUT_MS (40000)",
  );
});

test.each([
  [{ NOTIFICATION_PORT: "abc" }, 'notification: invalid configuration: NOTIFICATION_PORT must be a whole number from 0 to 65535, got "abc"'],
  [{ NATS_URL: "http://x" }, "notification: invalid configuration: NATS_URL must use nats:"],
  [{ NOTIFICATION_DB_CONN: "not a url" }, 'NOTIFICATION_DB_CONN must be a URL (postgres: or postgresql:), got "not a url"'],
  [{ NOTIFICATION_METRICS_PORT: "x" }, "NOTIFICATION_METRICS_PORT must be a whole number"],
])("%o stops the notification service with 78", async (env, message) => {
  const { code, output } = await runUntilExit("notification", env);
  expect(code).toBe(78);
  expect(output).toContain(message);
});

// Containment, not equality: a variable read only when another is set (e.g. a provider's token)
// is documented without being read with the defaults.
test(".env.example documents every variable the notification reads", async () => {
  expect(await variablesDocumented("notification")).toEqual(expect.arrayContaining(variablesRead(readConfig)));
});

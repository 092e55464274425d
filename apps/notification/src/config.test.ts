import { expect, setDefaultTimeout, test } from "bun:test";
import { runUntilExit, variablesDocumented, variablesRead } from "@evented/testing";
import { readConfig } from "./config.ts";

setDefaultTimeout(30_000);

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

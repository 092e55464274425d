import { expect, setDefaultTimeout, test } from "bun:test";
import { runUntilExit, variablesDocumented, variablesRead } from "@evented/testing";
import { readConfig } from "./config.ts";

setDefaultTimeout(30_000);

test.each([
  [{ ORDER_PORT: "abc" }, 'order: invalid configuration: ORDER_PORT must be a whole number from 0 to 65535, got "abc"'],
  [{ NATS_URL: "http://x" }, "order: invalid configuration: NATS_URL must use nats:"],
  [{ USER_SERVICE_URL: "not a host" }, 'USER_SERVICE_URL must be host:port, got "not a host"'],
  [{ ORDER_METRICS_PORT: "70000" }, "ORDER_METRICS_PORT must be a whole number from 0 to 65535"],
])("%o stops the order service with 78", async (env, message) => {
  const { code, output } = await runUntilExit("order", env);
  expect(code).toBe(78);
  expect(output).toContain(message);
});

// Containment, not equality: a variable read only when another is set (e.g. a provider's token)
// is documented without being read with the defaults.
test(".env.example documents every variable the order reads", async () => {
  expect(await variablesDocumented("order")).toEqual(expect.arrayContaining(variablesRead(readConfig)));
});

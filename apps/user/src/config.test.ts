import { expect, setDefaultTimeout, test } from "bun:test";
import { runUntilExit, variablesDocumented, variablesRead } from "@evented/testing";
import { readConfig } from "./config.ts";

setDefaultTimeout(30_000);

// The real entry point, started with one bad variable: it must stop before touching anything,
// with exit code 78 (EX_CONFIG) and a message that names the variable.
test.each([
  [{ USER_PORT: "abc" }, 'user: invalid configuration: USER_PORT must be a whole number from 0 to 65535, got "abc"'],
  [{ NATS_URL: "http://x" }, 'user: invalid configuration: NATS_URL must use nats: or tls: or ws: or wss:, got "http:"'],
  [{ USER_DB_CONN: "mysql://root:hunter2@db/users" }, "USER_DB_CONN must use postgres: or postgresql:"],
  [{ USER_METRICS_PORT: "-1" }, "USER_METRICS_PORT must be a whole number"],
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }, "OTEL_EXPORTER_OTLP_ENDPOINT must"],
])("%o stops the user service with 78", async (env, message) => {
  const { code, output } = await runUntilExit("user", env);
  expect(code).toBe(78);
  expect(output).toContain(message);
  expect(output).not.toContain("hunter2");
});

// Containment, not equality: a variable read only when another is set (e.g. a provider's token)
// is documented without being read with the defaults.
test(".env.example documents every variable the user reads", async () => {
  expect(await variablesDocumented("user")).toEqual(expect.arrayContaining(variablesRead(readConfig)));
});

import { expect, setDefaultTimeout, test } from "bun:test";
import { freePort, runUntilExit, variablesDocumented, variablesRead } from "@evented/testing";
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
  [{ STARTUP_WAIT_MS: "two minutes" }, 'STARTUP_WAIT_MS must be a whole number from 0 to 9007199254740991, got "two minutes"'],
  // Production takes its keys from configuration, never from a generated development key.
  [{ NODE_ENV: "production" }, "AUTH_SIGNING_KEYS is required in production"],
  [{ AUTH_SIGNING_KEYS: '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"abc"}]}' }, "AUTH_SIGNING_KEYS: key 0 must be a private Ed25519 JWK"],
  [
    { AUTH_SIGNING_KEYS: '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"abc","d":"def","kid":"k1"}]}', NODE_ENV: "production", AUTH_EMAIL_KEY: "" },
    "AUTH_EMAIL_KEY is required in production",
  ],
])("%o stops the user service with 78", async (env, message) => {
  const { code, output } = await runUntilExit("user", env);
  expect(code).toBe(78);
  expect(output).toContain(message);
  expect(output).not.toContain("hunter2");
});

// A database it cannot use (nothing on the port past the start-up wait, a role the server refuses):
// one line naming the variable, the password redacted, exit 1, no stack trace.
test.each([
  [`postgres://app:hunter2@127.0.0.1:${freePort()}/users`, "connection refused"],
  ["postgres://no_such_role:hunter2@127.0.0.1:5432/users", 'role "no_such_role" does not exist'],
])("USER_DB_CONN=%s stops the user service with one clear line", async (url, reason) => {
  const { code, output } = await runUntilExit("user", { USER_DB_CONN: url, USER_PORT: "0", USER_METRICS_PORT: "0", STARTUP_WAIT_MS: "1000" });
  expect(code).toBe(1);
  const redacted = url.replace("hunter2", "***");
  expect(output).toContain(`user: cannot connect to the database USER_DB_CONN=${redacted}: ${reason}\n`);
  expect(output).not.toContain("hunter2");
  expect(output).not.toMatch(/^\s+at /m);
});

// Containment, not equality: a variable read only when another is set (e.g. a provider's token)
// is documented without being read with the defaults.
test(".env.example documents every variable the user reads", async () => {
  expect(await variablesDocumented("user")).toEqual(expect.arrayContaining(variablesRead(readConfig)));
});

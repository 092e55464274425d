import { expect, setDefaultTimeout, test } from "bun:test";
import { runUntilExit, variablesDocumented, variablesRead } from "@evented/testing";
import { readConfig } from "./config.ts";

setDefaultTimeout(30_000);

test.each([
  [{ GATEWAY_PORT: "abc" }, 'gateway: invalid configuration: GATEWAY_PORT must be a whole number from 0 to 65535, got "abc"'],
  [{ ORDER_SERVICE_URL: "http://" }, "ORDER_SERVICE_URL must be host:port"],
  [{ GRPC_DEADLINE_MS: "0" }, "GRPC_DEADLINE_MS must be a whole number from 1"],
  [
    { GATEWAY_CORS_ORIGINS: "https://shop.example.com/,*" },
    'GATEWAY_CORS_ORIGINS must list origins such as https://shop.example.com, got "https://shop.example.com/"',
  ],
  [{ GATEWAY_MAX_BODY_BYTES: "10" }, "GATEWAY_MAX_BODY_BYTES must be a whole number from 1024"],
  [{ LOG_LEVEL: "loud" }, 'LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "loud"'],
])("%o stops the gateway with 78", async (env, message) => {
  const { code, output } = await runUntilExit("gateway", env);
  expect(code).toBe(78);
  expect(output).toContain(message);
});

// Containment, not equality: a variable read only when another is set (e.g. a provider's token)
// is documented without being read with the defaults.
test(".env.example documents every variable the gateway reads", async () => {
  expect(await variablesDocumented("gateway")).toEqual(expect.arrayContaining(variablesRead(readConfig)));
});

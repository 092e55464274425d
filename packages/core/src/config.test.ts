import { expect, test } from "bun:test";
import { ConfigError, hostPort, int, natsConfig, oneOf, port, redactUrl, str, url } from "./config.ts";

const fails = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
};

test("values fall back to their defaults only when unset or blank", () => {
  expect(port({}, "USER_PORT", 50051)).toBe(50051);
  expect(port({ USER_PORT: " " }, "USER_PORT", 50051)).toBe(50051);
  expect(port({ USER_PORT: "6000" }, "USER_PORT", 50051)).toBe(6000);
  expect(str({}, "X", "d")).toBe("d");
  expect(fails(() => str({}, "REQUIRED"))).toBe("REQUIRED is required");
});

test("a bad value is refused with the variable's name", () => {
  expect(fails(() => port({ USER_PORT: "abc" }, "USER_PORT", 1))).toBe('USER_PORT must be a whole number from 0 to 65535, got "abc"');
  expect(fails(() => port({ USER_PORT: "70000" }, "USER_PORT", 1))).toContain("USER_PORT");
  expect(fails(() => int({ N: "1.5" }, "N", 1, { min: 1 }))).toContain("N must be a whole number");
  expect(fails(() => oneOf({ LOG_FORMAT: "xml" }, "LOG_FORMAT", ["json", "pretty"], "json"))).toBe('LOG_FORMAT must be one of json, pretty, got "xml"');
  expect(fails(() => natsConfig({ NATS_URL: "http://localhost:4222" }))).toContain("NATS_URL must use nats:");
  expect(fails(() => natsConfig({ NATS_USER: "order" }))).toBe("NATS_USER and NATS_PASSWORD are set together or not at all");
  expect(fails(() => hostPort({ USER_SERVICE_URL: "localhost" }, "USER_SERVICE_URL", "x:1"))).toContain("USER_SERVICE_URL must be host:port");
});

test("gRPC addresses accept the seed's host:port and a scheme prefix", () => {
  expect(hostPort({ USER_SERVICE_URL: "localhost:50051" }, "USER_SERVICE_URL", "x:1")).toBe("localhost:50051");
  expect(hostPort({ USER_SERVICE_URL: "dns:///user:50051" }, "USER_SERVICE_URL", "x:1")).toBe("user:50051");
});

test("passwords never leave a connection string in a message", () => {
  expect(redactUrl("postgres://app:s3cret@db:5432/users")).toBe("postgres://app:***@db:5432/users");
  const message = fails(() => url({ USER_DB_CONN: "mysql://app:s3cret@db/users" }, "USER_DB_CONN", undefined, ["postgres:"]));
  expect(message).not.toContain("s3cret");
});

import { expect, test } from "bun:test";
import { natsServers } from "./bus.ts";

test("credentials in NATS_URL are handed to nats.js as options, and taken out of the server URLs", () => {
  expect(natsServers("nats://127.0.0.1:4222")).toEqual({ servers: ["nats://127.0.0.1:4222"] });
  expect(natsServers("nats://order:s%40cret@nats:4222")).toEqual({ servers: ["nats://nats:4222"], user: "order", pass: "s@cret" });
  expect(natsServers("nats://t0ken@nats:4222")).toEqual({ servers: ["nats://nats:4222"], token: "t0ken" });
  expect(natsServers("nats://order:pw@a:4222, nats://b:4222")).toEqual({ servers: ["nats://a:4222", "nats://b:4222"], user: "order", pass: "pw" });
});

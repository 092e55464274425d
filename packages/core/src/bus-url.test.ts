import { expect, test } from "bun:test";
import { natsServers } from "./bus.ts";
import { natsConfig } from "./config.ts";

test("credentials in NATS_URL are handed to nats.js as options, and taken out of the server URLs", () => {
  expect(natsServers("nats://127.0.0.1:4222")).toEqual({ servers: ["nats://127.0.0.1:4222"] });
  expect(natsServers("nats://order:s%40cret@nats:4222")).toEqual({ servers: ["nats://nats:4222"], user: "order", pass: "s@cret" });
  expect(natsServers("nats://t0ken@nats:4222")).toEqual({ servers: ["nats://nats:4222"], token: "t0ken" });
  expect(natsServers("nats://order:pw@a:4222, nats://b:4222")).toEqual({ servers: ["nats://a:4222", "nats://b:4222"], user: "order", pass: "pw" });
});

test("NATS_USER and NATS_PASSWORD take the place of credentials in NATS_URL, for every server, whatever characters the password has", () => {
  const { natsUrl } = natsConfig({ NATS_URL: "nats://other:old@a:4222,nats://b:4222", NATS_USER: "order", NATS_PASSWORD: "p@ss/w:rd%" });
  expect(natsServers(natsUrl)).toEqual({ servers: ["nats://a:4222", "nats://b:4222"], user: "order", pass: "p@ss/w:rd%" });
  expect(natsServers(natsConfig({}).natsUrl)).toEqual({ servers: ["nats://127.0.0.1:4222"] });
});

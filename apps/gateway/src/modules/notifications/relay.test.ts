// The relay between the notification service's gRPC stream and one SSE response, on a stand-in stream.
import { expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import { status } from "@evented/core";
import type { notificationV1 } from "@evented/proto";
import type { ClientReadableStream } from "@grpc/grpc-js";
import { Relay } from "./relay.ts";

type Call = ClientReadableStream<notificationV1.StreamNotificationsResponse>;
const stream = () => Object.assign(new PassThrough({ objectMode: true }), { cancel() {} }) as PassThrough & { cancel(): void };
const change = (cursor: string): notificationV1.StreamNotificationsResponse => ({ message: { $case: "change", value: { cursor } } });

test("opens on the service's subscribed message, then relays in order with heartbeats between", async () => {
  const call = stream();
  const relay = new Relay(call as unknown as Call, 20);
  call.write({ message: { $case: "subscribed", value: "0" } });
  await relay.opened(1000);
  call.write(change("1"));
  call.write(change("2"));
  expect(await relay.next()).toEqual({ message: change("1") });
  expect(await relay.next()).toEqual({ message: change("2") });
  expect(await relay.next()).toBe("beat");
  relay.close();
});

test("a service error before the stream opens is thrown; a silent service is DEADLINE_EXCEEDED", async () => {
  const failing = stream();
  const relay = new Relay(failing as unknown as Call, 1000);
  failing.emit("error", Object.assign(new Error("14 UNAVAILABLE"), { code: status.UNAVAILABLE }));
  await expect(relay.opened(1000)).rejects.toMatchObject({ code: status.UNAVAILABLE });
  const silent = new Relay(stream() as unknown as Call, 1000);
  await expect(silent.opened(50)).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
});

test("a slow client pauses the service's stream; reading resumes it", async () => {
  const call = stream();
  const relay = new Relay(call as unknown as Call, 10_000);
  for (let i = 1; i <= 40; i++) call.write(change(String(i)));
  await Bun.sleep(10);
  expect(call.isPaused()).toBe(true);
  const cursors: string[] = [];
  for (let i = 1; i <= 40; i++) {
    const item = await relay.next();
    if (typeof item === "object" && "message" in item && item.message.message?.$case === "change") cursors.push(item.message.message.value.cursor);
  }
  expect(cursors).toEqual(Array.from({ length: 40 }, (_, i) => String(i + 1)));
  relay.close();
});

test("shutdown ends it", async () => {
  const shutdown = new AbortController();
  const relay = new Relay(stream() as unknown as Call, 10_000, shutdown.signal);
  shutdown.abort();
  expect(await relay.next()).toBe("end");
  relay.close();
});

// A gateway in this process with fake services, for unit tests (here and in @evented/client).
import { createLogger } from "@evented/core";
import { type AppOptions, createApp } from "../src/app.ts";
import { fakeClients } from "./fake-clients.ts";

export { type Call, serviceError } from "./fake-clients.ts";

export interface Sent {
  status: number;
  headers: Headers;
  body: any;
}

export function testGateway(options: AppOptions = {}) {
  const fake = fakeClients();
  const app = createApp(fake.clients, createLogger("gateway", { level: "silent" }), options);

  /** One request through app.handle: `body` is sent as JSON, `raw` as it is. */
  async function send(
    method: string,
    path: string,
    init: { body?: unknown; raw?: string | ReadableStream<Uint8Array>; headers?: Record<string, string> } = {},
  ): Promise<Sent> {
    const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
    const headers = { ...(body === undefined ? {} : { "content-type": "application/json" }), ...init.headers };
    const res = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }

  return { app, fake, send };
}

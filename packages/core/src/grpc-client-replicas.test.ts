// Several endpoints behind one service address: balanced per call, healed when one goes away,
// and a write with an Idempotency-Key tried again on the next endpoint when its replica vanishes.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { userV1 } from "@evented/proto";
import { Server, ServerCredentials, status, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { hostPort } from "./config.ts";
import { connectService } from "./grpc-client.ts";

setDefaultTimeout(30_000);

type Handler = (call: { request: { idempotencyKey?: string } }, callback: (err: unknown, res?: unknown) => void) => void;

async function replica(createUser: Handler = (_c, cb) => cb(null, { id: "u", name: "", email: "", phone: "" })) {
  const server = new Server();
  const calls = { get: 0, create: 0 };
  const user = { id: "u", name: "", email: "", phone: "" };
  const impl: UntypedServiceImplementation = {
    getUser: (_call: unknown, callback: (err: null, res: unknown) => void) => {
      calls.get++;
      callback(null, { user });
    },
    createUser: ((call, callback) => {
      calls.create++;
      createUser(call, callback);
    }) as Handler as unknown as UntypedServiceImplementation[string],
  };
  server.addService(userV1.UserServiceService, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, calls, port };
}

const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.forceShutdown();
});

test("a comma list of endpoints is balanced per call, and calls go on when one endpoint goes", async () => {
  const replicas = [await replica(), await replica()];
  servers.push(...replicas.map((r) => r.server));
  const address = hostPort({ USER_SERVICE_URL: replicas.map((r) => `127.0.0.1:${r.port}`).join(",") }, "USER_SERVICE_URL", "x:1");
  const client = connectService(userV1.UserServiceClient, address, { retryable: ["GetUser"] });
  try {
    for (let i = 0; i < 20; i++) await client.getUser({ id: "x" });
    expect(Math.min(...replicas.map((r) => r.calls.get))).toBeGreaterThanOrEqual(5);
    replicas[0]!.server.forceShutdown();
    const before = replicas[1]!.calls.get;
    for (let i = 0; i < 10; i++) await client.getUser({ id: "x" }); // none fails
    expect(replicas[1]!.calls.get - before).toBe(10);
  } finally {
    client.close();
  }
});

test("a create with an Idempotency-Key is tried again on UNAVAILABLE; one without is not", async () => {
  let failNext = 0;
  const flaky = await replica((_call, callback) => {
    if (failNext-- > 0) return callback(Object.assign(new Error("replica going away"), { code: status.UNAVAILABLE, details: "replica going away" }));
    callback(null, { id: "u", name: "", email: "", phone: "" });
  });
  servers.push(flaky.server);
  const client = connectService(userV1.UserServiceClient, `127.0.0.1:${flaky.port}`);
  try {
    failNext = 1;
    await client.createUser({ name: "a", email: "a@example.com", phone: "", password: "", role: "", idempotencyKey: "k-1" });
    expect(flaky.calls.create).toBe(2);
    failNext = 1;
    await expect(
      client.createUser({ name: "a", email: "a@example.com", phone: "", password: "", role: "", idempotencyKey: "" }, { deadlineMs: 1000 }),
    ).rejects.toThrow();
    expect(flaky.calls.create).toBe(3); // asked once: without a key a repeat could create twice
  } finally {
    client.close();
  }
});

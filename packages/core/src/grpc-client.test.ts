import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { userV1 } from "@evented/proto";
import { Server, ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { connectService } from "./grpc-client.ts";

setDefaultTimeout(30_000);

// Two replicas of one service, as `docker compose up --scale` gives behind one DNS name.
const replicas = [0, 1].map((replica) => {
  const server = new Server();
  const calls = { count: 0 };
  const impl: UntypedServiceImplementation = {
    getUser: (_call: unknown, callback: (err: null, res: userV1.GetUserResponse) => void) => {
      calls.count++;
      callback(null, { user: { id: String(replica), name: "", email: "", phone: "" } as userV1.User });
    },
  };
  server.addService(userV1.UserServiceService, impl);
  return { server, calls, port: 0 };
});

beforeAll(async () => {
  for (const r of replicas) {
    r.port = await new Promise<number>((resolve, reject) =>
      r.server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
  }
});
afterAll(() => replicas.forEach((r) => r.server.forceShutdown()));

test("calls are spread over every address the target resolves to, not pinned to the first", async () => {
  const target = `ipv4:${replicas.map((r) => `127.0.0.1:${r.port}`).join(",")}`;
  const client = connectService(userV1.UserServiceClient, target);
  try {
    for (let i = 0; i < 20; i++) await client.getUser({ id: "x" });
  } finally {
    client.close();
  }
  // Round robin over the ready ones: the second may connect a call or two later than the first.
  const [first = 0, second = 0] = replicas.map((r) => r.calls.count);
  expect(first + second).toBe(20);
  expect(Math.min(first, second)).toBeGreaterThanOrEqual(5);
});

import { connectService } from "@evented/core";
import { userV1 } from "@evented/proto";
import { startSystem } from "@evented/testing";

const lvl = process.env.LVL ?? "info";
const env = { LOG_LEVEL: lvl };
const sys = await startSystem({ env: { user: env, order: env, notification: env, gateway: env } });
const users = connectService(userV1.UserServiceClient, `127.0.0.1:${sys.ports.user}`);
async function time(label: string, n: number, f: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 30; i++) await f(i + 1e6);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f(i);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  console.log(label, "p50", samples[n / 2]!.toFixed(2), "p90", samples[Math.floor(n * 0.9)]!.toFixed(2), "ms");
}
let k = 0;
await time("grpc createUser", 200, () => users.createUser({ name: "a", email: `g${k++}@x.io`, phone: "", idempotencyKey: "" }));
const u = await users.createUser({ name: "a", email: `z${k++}@x.io`, phone: "", idempotencyKey: "" });
await time("grpc getUser", 200, () => users.getUser({ id: u.user!.id }));
await time("http POST /users", 200, () =>
  fetch(`${sys.gatewayUrl}/users`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "a", email: `h${k++}@x.io` }),
  }).then((r) => r.text()),
);
await time("http GET /users/id", 200, () => fetch(`${sys.gatewayUrl}/users/${u.user!.id}`).then((r) => r.text()));
users.close();
await sys.stop();

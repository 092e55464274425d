import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";

setDefaultTimeout(30_000);

const health = new HealthImplementation({ "": "SERVING", "user.v1.UserService": "SERVING" });
const server = new grpc.Server();
health.addToServer(server);
let port = 0;

beforeAll(async () => {
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
});
afterAll(() => server.forceShutdown());

async function healthcheck(...args: string[]) {
  const proc = Bun.spawn(["bun", `${import.meta.dir}/healthcheck.ts`, ...args], { stdout: "pipe", stderr: "pipe", timeout: 20_000 });
  const [code, out] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
  return { code, out };
}

test("exits 0 while the server answers SERVING, for the server and for a named service", async () => {
  expect(await healthcheck(String(port))).toMatchObject({ code: 0, out: expect.stringContaining("SERVING") });
  expect((await healthcheck(String(port), "user.v1.UserService")).code).toBe(0);
  expect((await healthcheck(`localhost:${port}`)).code).toBe(0);
});

test("exits 1 when the service is NOT_SERVING or unknown", async () => {
  health.setStatus("user.v1.UserService", "NOT_SERVING");
  expect(await healthcheck(String(port), "user.v1.UserService")).toMatchObject({ code: 1, out: expect.stringContaining("NOT_SERVING") });
  expect(await healthcheck(String(port), "no.such.Service")).toMatchObject({ code: 1, out: expect.stringContaining("NOT_FOUND") });
});

test("exits 1 when nothing listens", async () => {
  const closed = new grpc.Server();
  const free = await new Promise<number>((resolve, reject) =>
    closed.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  closed.forceShutdown();
  expect((await healthcheck(String(free))).code).toBe(1);
});

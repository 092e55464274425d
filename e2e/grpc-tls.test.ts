// gRPC between the apps over mutual TLS, configured by GRPC_TLS_CA / GRPC_TLS_CERT / GRPC_TLS_KEY
// with certificates this test makes (openssl): the whole system works through the gateway, a
// plaintext client and a client without a certificate of the CA are refused, and the container
// health check speaks TLS too. GRPC_BIND_HOST keeps the servers on loopback.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTransport } from "@evented/core";
import { userV1 } from "@evented/proto";
import { ROOT, type System, startSystem, waitFor } from "@evented/testing";
import { credentials, Metadata, status } from "@grpc/grpc-js";

setDefaultTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), "grpc-tls-"));
const file = (name: string) => join(dir, name);
let system: System;

function openssl(...args: string[]) {
  const run = Bun.spawnSync(["openssl", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe", timeout: 30_000 });
  if (run.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${run.stderr.toString()}`);
}

/** A CA, and a certificate it signs for `name` (valid for localhost and 127.0.0.1). */
async function makeCa(name: string) {
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    `/CN=${name} CA`,
    "-keyout",
    file(`${name}-ca.key`),
    "-out",
    file(`${name}-ca.pem`),
  );
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", file(`${name}.key`), "-out", file(`${name}.csr`));
  await Bun.write(file(`${name}.ext`), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  openssl(
    "x509",
    "-req",
    "-in",
    file(`${name}.csr`),
    "-CA",
    file(`${name}-ca.pem`),
    "-CAkey",
    file(`${name}-ca.key`),
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    file(`${name}.ext`),
    "-out",
    file(`${name}.pem`),
  );
}

// The harness dials 127.0.0.1: the name to verify is the certificate's, localhost.
const tlsEnv = (name: string) => ({
  GRPC_TLS_CA: file(`${name}-ca.pem`),
  GRPC_TLS_CERT: file(`${name}.pem`),
  GRPC_TLS_KEY: file(`${name}.key`),
  GRPC_TLS_SERVER_NAME: "localhost",
  GRPC_BIND_HOST: "127.0.0.1",
});

beforeAll(async () => {
  await makeCa("system");
  await makeCa("stranger");
  const env = tlsEnv("system");
  system = await startSystem({ env: { user: env, order: env, notification: env, gateway: env } });
}, 90_000);
afterAll(async () => {
  await system?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("the system works over mutual TLS: gateway -> user, order -> user, and the services say they serve TLS", async () => {
  for (const name of ["user", "order", "notification"] as const) {
    expect(system.apps[name].logs.find((l) => l.msg === "gRPC server listening")).toMatchObject({ tls: true, host: "127.0.0.1" });
  }
  const post = (path: string, body: unknown) =>
    system.fetch(`${system.gatewayUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const created = await post("/users", { name: "Tess", email: `tess.${Date.now()}@example.com` });
  const user = (await created.json()) as { id: string };
  expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
  const order = await post("/orders", { user_id: user.id, items: [{ product_id: "456", quantity: 1 }] });
  expect(order.status).toBe(201);
  expect((await fetch(`${system.gatewayUrl}/ready`)).status).toBe(200);
});

/** GetUser on the user service with these credentials: the gRPC status it ends with. */
async function getUserWith(creds: ReturnType<typeof credentials.createInsecure>): Promise<number> {
  const client = new userV1.UserServiceClient(`localhost:${system.ports.user}`, creds);
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${system.admin.accessToken}`); // past TLS, the call still needs a token
  try {
    return await new Promise<number>((resolve) =>
      client.getUser({ id: "01900000-0000-7000-8000-000000000000" }, metadata, { deadline: Date.now() + 5000 }, (err) => resolve(err ? err.code : status.OK)),
    );
  } finally {
    client.close();
  }
}

test("a plaintext client, a client with no certificate, or one from another CA is refused; one of the system's CA gets through", async () => {
  const system_ = readTransport(tlsEnv("system")).tls!;
  const stranger = readTransport(tlsEnv("stranger")).tls!;
  expect(await getUserWith(credentials.createInsecure())).toBe(status.UNAVAILABLE);
  expect(await getUserWith(credentials.createSsl(system_.ca))).toBe(status.UNAVAILABLE);
  expect(await getUserWith(credentials.createSsl(system_.ca, stranger.key, stranger.cert))).toBe(status.UNAVAILABLE);
  expect(await getUserWith(credentials.createSsl(system_.ca, system_.key, system_.cert))).toBe(status.NOT_FOUND);
});

test("the container health check asks over TLS with the app's own settings", async () => {
  const check = async (env: Record<string, string>) => {
    const proc = Bun.spawn(["bun", join(ROOT, "scripts/healthcheck.ts"), `127.0.0.1:${system.ports.user}`], {
      env: { ...process.env, ...env },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [code, out] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
    return { code, out };
  };
  expect(await check(tlsEnv("system"))).toMatchObject({ code: 0, out: expect.stringContaining("SERVING") });
  expect((await check({})).code).toBe(1);
});

test("half a TLS configuration stops an app at start with 78, naming what is missing", async () => {
  const proc = Bun.spawn(["bun", join(ROOT, "apps/gateway/src/main.ts")], {
    env: { ...process.env, GATEWAY_PORT: "0", GRPC_TLS_CERT: file("system.pem") },
    stdout: "pipe",
    stderr: "pipe",
  });
  const code = await waitFor("the gateway to exit", () => proc.exitCode ?? undefined, { timeoutMs: 20_000 }).catch(() => {
    proc.kill();
    return -1;
  });
  expect(code).toBe(78);
  expect(await new Response(proc.stderr).text()).toContain("GRPC_TLS_CA, GRPC_TLS_KEY must be set too");
});

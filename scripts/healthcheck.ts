// Health check of a gRPC service, for containers and people: the standard grpc.health.v1
// Health/Check. Exits 0 when the server answers SERVING, 1 otherwise (down, NOT_SERVING, slow).
//   bun scripts/healthcheck.ts <port | host:port> [service name, default "" = the whole server]
import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { loadConfig } from "../packages/core/src/config.ts";
import { channelCredentials, channelOptions, grpcTransport } from "../packages/core/src/transport.ts";

const [target, serviceName = ""] = process.argv.slice(2);
if (!target || !/^(\d+|[\w.-]+:\d+)$/.test(target)) {
  console.error("usage: bun scripts/healthcheck.ts <port | host:port> [service]");
  process.exit(64);
}
const address = target.includes(":") ? target : `127.0.0.1:${target}`;

const Health = grpc.makeClientConstructor(healthService, "grpc.health.v1.Health");
type HealthClient = grpc.Client & {
  check(req: { service: string }, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { status: string }) => void): void;
};
// The app's own GRPC_TLS_* (the container's environment): a server that requires TLS is asked over TLS.
loadConfig("healthcheck", grpcTransport);
const client = new Health(address, channelCredentials(), channelOptions()) as unknown as HealthClient;

client.check({ service: serviceName }, { deadline: Date.now() + 3000 }, (err, res) => {
  const status = err ? `${grpc.status[err.code]}: ${err.details}` : res?.status;
  console.log(`grpc health ${serviceName || "(server)"} on ${address}: ${status}`);
  client.close();
  process.exit(!err && status === "SERVING" ? 0 : 1);
});

// `bun scripts/grpc-health.ts [host:port] [service]`: asks a service's standard grpc.health.v1
// Check and exits 0 when it is SERVING, 1 otherwise (for container health checks and people).
import { connectHealth } from "../packages/core/src/health.ts";

const [address = "127.0.0.1:50051", service = ""] = process.argv.slice(2);
const health = connectHealth(address);
const status = await health.check(service, 2000);
health.close();
console.log(status);
process.exit(status === "SERVING" ? 0 : 1);

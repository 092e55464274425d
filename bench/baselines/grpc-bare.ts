// A bare grpc-js server answering GetUser with a fixed user: no database, no token, no logging.
// With bench/baselines/grpc-load.ts as the client, the ceiling of the gRPC layer alone (grpc-js on
// Bun, one channel) on this machine: what GET /users/{id} cannot beat while it crosses one hop.
//   PORT=... bun bench/baselines/grpc-bare.ts
import { userV1 } from "@evented/proto";
import { Server, ServerCredentials } from "@grpc/grpc-js";

const at = new Date().toISOString();
const user: userV1.User = {
  id: "0195c1d4-0000-7000-8000-000000000000",
  name: "Bare",
  email: "bare@bench.example.com",
  phone: "",
  createdAt: at,
  updatedAt: at,
  role: "customer",
  emailVerified: true,
  pendingEmail: "",
};
const server = new Server();
// Only GetUser: grpc-js answers the other methods UNIMPLEMENTED.
server.addService(userV1.UserServiceService, {
  getUser: (_call: unknown, callback: (err: null, res: userV1.GetUserResponse) => void) => callback(null, { user }),
} as never);
server.bindAsync(`127.0.0.1:${process.env.PORT ?? 0}`, ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
});

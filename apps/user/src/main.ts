import { runService } from "@evented/core";
import { userV1 } from "@evented/proto";
import { readConfig } from "./config.ts";
import * as schema from "./schema.ts";
import { userServer } from "./server.ts";
import { UserService } from "./service.ts";

await runService({
  name: "user",
  readConfig,
  schema,
  migrationsFolder: new URL("../../../drizzle/user", import.meta.url).pathname,
  outbox: true,
  idempotencyKeys: true,
  setup: ({ db, outbox, log }) => ({
    grpc: [[userV1.UserServiceService, userServer(new UserService(db, outbox), log)]],
  }),
});

import { runService } from "@evented/core";
import { authV1, userV1 } from "@evented/proto";
import { authServer } from "./auth/server.ts";
import { startAuth } from "./auth/wiring.ts";
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
  setup: async ({ config, db, outbox, log }) => {
    const { keys, accounts, emails, auth } = await startAuth(config.auth, db, outbox, log);
    return {
      grpc: [
        [userV1.UserServiceService, userServer(new UserService(db, outbox, emails), log, auth)],
        [authV1.AuthServiceService, authServer(accounts, keys, log, auth)],
      ],
      auth,
    };
  },
});

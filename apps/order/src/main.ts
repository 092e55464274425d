import { connectVerifier, runService } from "@evented/core";
import { orderV1 } from "@evented/proto";
import { readConfig } from "./config.ts";
import { deletionCascade } from "./deletion-cascade.ts";
import * as schema from "./schema.ts";
import { orderServer } from "./server.ts";
import { OrderService } from "./service.ts";
import { subscriptions } from "./subscriptions.ts";
import { userDirectory } from "./users.ts";

await runService({
  name: "order",
  readConfig,
  schema,
  migrationsFolder: new URL("../../../drizzle/order", import.meta.url).pathname,
  outbox: true,
  idempotencyKeys: true,
  setup: ({ config, db, outbox, log }) => {
    const users = userDirectory(config.userServiceUrl, config.userServiceTimeoutMs);
    const orders = new OrderService(db, outbox, users);
    const cascade = deletionCascade(orders, log);
    const tokens = connectVerifier(config.auth, config.userServiceUrl);
    return {
      grpc: [[orderV1.OrderServiceService, orderServer(orders, log, tokens)]],
      subscriptions: subscriptions(orders, cascade),
      work: [cascade],
      auth: tokens,
      close: [() => users.close(), () => tokens.close()],
    };
  },
});

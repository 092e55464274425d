import { connectVerifier, runService } from "@evented/core";
import { notificationV1 } from "@evented/proto";
import { readConfig } from "./config.ts";
import { createChannels } from "./create-channels.ts";
import { Deliverer } from "./deliverer.ts";
import { Feed } from "./feed.ts";
import * as schema from "./schema.ts";
import { notificationServer } from "./server.ts";
import { subscriptions } from "./subscriptions.ts";

await runService({
  name: "notification",
  readConfig,
  schema,
  migrationsFolder: new URL("../../../drizzle/notification", import.meta.url).pathname,
  setup: async ({ config, db, database, log }) => {
    const channels = createChannels(config.channels, log);
    const deliverer = new Deliverer(db, channels, log, { ...config.delivery, links: config.links });
    const closeChannels = () => {
      for (const c of Object.values(channels)) c.close?.();
    };
    const tokens = connectVerifier(config.auth, config.userServiceUrl);
    const feed = new Feed(db, database.client, log);
    await feed.start();
    return {
      grpc: [[notificationV1.NotificationServiceService, notificationServer(db, log, feed, tokens)]],
      auth: tokens,
      endStreams: [() => feed.stop()],
      subscriptions: subscriptions(deliverer),
      consumerOptions: { ackWaitMs: config.ackWaitMs, maxAttempts: config.maxAttempts },
      work: [{ start: () => deliverer.start(), stop: () => deliverer.stop().then(closeChannels) }],
      close: [() => tokens.close()],
    };
  },
});

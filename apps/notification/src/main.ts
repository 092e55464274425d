import { Bus, createLogger, loadConfig, onShutdown, openDatabase, startConsumers, startGrpcServer, startServiceOps } from "@evented/core";
import { notificationV1 } from "@evented/proto";
import { readConfig } from "./config.ts";
import { createChannels } from "./create-channels.ts";
import { Deliverer } from "./deliverer.ts";
import * as schema from "./schema.ts";
import { notificationServer } from "./server.ts";
import { subscriptions } from "./subscriptions.ts";

const config = loadConfig("notification", readConfig);
const log = createLogger("notification", config.log);
const migrationsFolder = new URL("../../../drizzle/notification", import.meta.url).pathname;

const database = await openDatabase(config.dbConn, schema, { log, migrationsFolder, poolSize: config.dbPoolSize });
const { db } = database;
const bus = await Bus.connect({
  url: config.natsUrl,
  name: "notification",
  stream: config.stream,
  prefix: config.subjectPrefix,
  duplicateWindowMs: config.duplicateWindowMs,
  replicas: config.streamReplicas,
  log,
});
const channels = createChannels(config.channels, log);
const deliverer = new Deliverer(db, channels, log, config.delivery);
deliverer.start();
const subs = subscriptions(deliverer);
const { metricsPort, telemetry } = config;
const ops = await startServiceOps("notification", { log, database, bus, consumers: subs.map((s) => s.durable), metricsPort, telemetry });
const consumers = await startConsumers(subs, { bus, db, log, ackWaitMs: config.ackWaitMs, maxAttempts: config.maxAttempts });

const grpc = await startGrpcServer(config.port, [[notificationV1.NotificationServiceService, notificationServer(db, log)]], log, ops.health);

const closeChannels = () => Object.values(channels).forEach((c) => c.close?.());
onShutdown(log, [
  () => ops.health.shutdown(),
  () => grpc.stop(),
  () => consumers.stop(),
  () => deliverer.stop(),
  closeChannels,
  () => bus.close(),
  () => ops.stop(),
  database.close,
]);

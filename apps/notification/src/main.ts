import { Bus, createLogger, loadConfig, onShutdown, openDatabase, startConsumers, startGrpcServer } from "@evented/core";
import { notificationV1 } from "@evented/proto";
import { logChannel } from "./channels.ts";
import { readConfig } from "./config.ts";
import { Deliverer } from "./deliverer.ts";
import * as schema from "./schema.ts";
import { notificationServer } from "./server.ts";
import { subscriptions } from "./subscriptions.ts";

const config = loadConfig("notification", readConfig);
const log = createLogger("notification", config.log);
const migrationsFolder = new URL("../../../drizzle/notification", import.meta.url).pathname;

const { db, close: closeDb } = await openDatabase(config.dbConn, schema, { log, migrationsFolder, poolSize: config.dbPoolSize });
const bus = await Bus.connect({ url: config.natsUrl, name: "notification", stream: config.stream, prefix: config.subjectPrefix, duplicateWindowMs: config.duplicateWindowMs, log });
const channels = { email: logChannel("email", log), sms: logChannel("sms", log), push: logChannel("push", log) };
const deliverer = new Deliverer(db, channels, log, { maxAttempts: config.maxAttempts });
deliverer.start();
const consumers = await startConsumers(subscriptions(deliverer), { bus, db, log, ackWaitMs: config.ackWaitMs, maxAttempts: config.maxAttempts });

const grpc = await startGrpcServer(config.port, [[notificationV1.NotificationServiceService, notificationServer(db, log)]], log);

onShutdown(log, [() => grpc.stop(), () => consumers.stop(), () => deliverer.stop(), () => bus.close(), closeDb]);

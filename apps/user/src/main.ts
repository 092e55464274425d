import { Bus, createLogger, loadConfig, Outbox, onShutdown, openDatabase, startGrpcServer, startServiceOps } from "@evented/core";
import { userV1 } from "@evented/proto";
import { readConfig } from "./config.ts";
import * as schema from "./schema.ts";
import { userServer } from "./server.ts";
import { UserService } from "./service.ts";

const config = loadConfig("user", readConfig);
const log = createLogger("user", config.log);
const migrationsFolder = new URL("../../../drizzle/user", import.meta.url).pathname;

const database = await openDatabase(config.dbConn, schema, { log, migrationsFolder, poolSize: config.dbPoolSize });
const { db } = database;
const bus = await Bus.connect({
  url: config.natsUrl,
  name: "user",
  stream: config.stream,
  prefix: config.subjectPrefix,
  duplicateWindowMs: config.duplicateWindowMs,
  replicas: config.streamReplicas,
  log,
});
const outbox = new Outbox(db, bus, log);
outbox.start();
const ops = await startServiceOps("user", { log, database, bus, outbox, idempotencyKeys: true, metricsPort: config.metricsPort, telemetry: config.telemetry });

const grpc = await startGrpcServer(config.port, [[userV1.UserServiceService, userServer(new UserService(db, outbox), log)]], log, ops.health);

onShutdown(log, [() => ops.health.shutdown(), () => grpc.stop(), () => outbox.stop(), () => bus.close(), () => ops.stop(), database.close]);

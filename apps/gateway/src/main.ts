import { createLogger, loadConfig, onShutdown } from "@evented/core";
import { createApp } from "./app.ts";
import { connectClients } from "./clients.ts";
import { readConfig } from "./config.ts";

const config = loadConfig("gateway", readConfig);
const log = createLogger("gateway", config.log);
const clients = connectClients(config);
const app = createApp(clients, log).listen(config.port);
log.info({ port: app.server?.port }, "gateway listening");

onShutdown(log, [
  () => app.stop(), // stops accepting, lets in-flight requests finish
  () => Object.values(clients).forEach((c) => c.close()),
]);

import { connectVerifier, createLogger, grpcTransport, initTracing, loadConfig, onShutdown, serveMetrics } from "@evented/core";
import { Elysia } from "elysia";
import { createApp } from "./app.ts";
import { connectClients, connectHealthChecks } from "./clients.ts";
import { readConfig } from "./config.ts";
import { devServer, loadWebFiles, webFiles } from "./web.ts";

const config = loadConfig("gateway", readConfig);
loadConfig("gateway", grpcTransport); // TLS to the services, when configured
const log = createLogger("gateway", config.log);
const stopTracing = await initTracing("gateway", config.telemetry);
const metrics = serveMetrics(config.metricsPort, log);
const clients = connectClients(config);
const health = connectHealthChecks(config);
const tokens = connectVerifier(config.auth, config.userServiceUrl);
const shutdown = new AbortController();
const api = createApp(clients, log, {
  shutdown: shutdown.signal,
  downstream: health,
  limits: config.limits,
  clientIpHeader: config.clientIpHeader,
  corsOrigins: config.corsOrigins,
  verifier: tokens.verifier,
});
// The web app beside the API, not in its type (the typed client has no pages). web.ts says how.
const app = (config.web.hot ? new Elysia({ serve: await devServer() }).use(api) : api.use(webFiles(() => loadWebFiles(config.web.dir))))
  // limits.ts answers an oversized body with the API's 413 (Bun's own limit answers with an empty one).
  .listen({ port: config.port, maxRequestBodySize: Number.MAX_SAFE_INTEGER });
log.info({ port: app.server?.port }, "gateway listening");

onShutdown(log, [
  () => shutdown.abort(), // open event streams end: clients reconnect to another gateway with Last-Event-ID
  () => app.stop(), // stops accepting, lets in-flight requests finish
  () => {
    const { ops, ...services } = clients;
    for (const c of [...Object.values(services), ...Object.values(ops), ...Object.values(health), tokens]) c.close();
  },
  () => metrics?.stop(),
  stopTracing,
]);

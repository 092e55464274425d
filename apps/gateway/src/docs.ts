import { dirname, join } from "node:path";
import { swagger } from "@elysiajs/swagger";
import { Elysia } from "elysia";
import type { OpenAPIV3_1 } from "openapi-types";

/**
 * Scalar's standalone browser bundle, from the pinned npm package. The plugin would load it from
 * a CDN, which offline machines and many corporate networks cannot reach: the page stayed blank.
 */
const SCALAR_BUNDLE = join(dirname(Bun.resolveSync("@scalar/api-reference", import.meta.dir)), "browser", "standalone.js");
const BUNDLE_PATH = "/swagger/scalar.js";
const SPEC_PATH = "/swagger/json";

// Nothing that calls out: fonts from Scalar's CDN, telemetry, its hosted AI agent and MCP tools.
// (A variable, not a literal: the plugin's types describe an older Scalar than the one served.)
const scalarConfig = { withDefaultFonts: false, telemetry: false, showDeveloperTools: "never", agent: { disabled: true }, mcp: { disabled: true } };

/** The API reference page at /swagger and its OpenAPI document at /swagger/json, both served from here. */
export const docs = () =>
  new Elysia({ name: "docs" })
    // A local hook: it sees the plugin's routes below, no others.
    .onAfterHandle(({ path, response }) => (path === SPEC_PATH ? jsonOnly(response as OpenAPIV3_1.Document) : undefined))
    .use(
      swagger({
        path: "/swagger",
        specPath: SPEC_PATH,
        scalarCDN: BUNDLE_PATH,
        scalarConfig,
        documentation: {
          // 3.1: its schemas are JSON Schema, what TypeBox writes (const, null, examples).
          openapi: "3.1.0",
          info: {
            title: "evented API",
            version: "0.1.0",
            description:
              "Users, orders and notifications, over an event-driven backend. Every error has one body, " +
              '`{"error":{"code","message","request_id"}}`; send `x-request-id` to choose the request id.',
          },
          tags: [
            { name: "users", description: "People who place orders and receive notifications" },
            { name: "orders", description: "Orders and their lifecycle" },
            { name: "system", description: "Health of the gateway" },
          ],
        },
      }),
    )
    .get(
      BUNDLE_PATH,
      () => new Response(Bun.file(SCALAR_BUNDLE), { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=86400" } }),
      {
        detail: { hide: true },
      },
    );

/** The plugin lists every body and response under JSON, form data and plain text; the API answers JSON. */
function jsonOnly(doc: OpenAPIV3_1.Document): OpenAPIV3_1.Document {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(item ?? {}) as OpenAPIV3_1.OperationObject[]) {
      for (const part of [op.requestBody, ...Object.values(op.responses ?? {})] as { content?: Record<string, unknown> }[]) {
        const json = part?.content?.["application/json"];
        if (json) part.content = { "application/json": json };
      }
    }
  }
  return doc;
}

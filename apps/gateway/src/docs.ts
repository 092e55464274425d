import { dirname, join } from "node:path";
import { swagger } from "@elysiajs/swagger";
import { Elysia } from "elysia";
import type { OpenAPIV3_1 } from "openapi-types";
import { errorResponses } from "./errors.ts";

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
        // It would drop every path with a dot, /.well-known/jwks.json among them; the bundle is hidden by its route.
        excludeStaticFile: false,
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
            { name: "auth", description: "Sign-in: sessions, email verification, password reset" },
            { name: "admin", description: "Operations, for admins: outbox, consumers, dead letters" },
            { name: "system", description: "Health of the gateway" },
          ],
          components: {
            securitySchemes: {
              bearer: {
                type: "http",
                scheme: "bearer",
                bearerFormat: "JWT",
                description: "The access_token of POST /auth/login, as `Authorization: Bearer <access_token>`",
              },
            },
          },
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

/** limits.ts answers these for any route, before the route's own handler: declared once, here. */
const LIMIT_RESPONSES = errorResponses(413, 415, 429);
const RETRY_AFTER: OpenAPIV3_1.HeaderObject = { description: "Whole seconds to wait before the next request", schema: { type: "integer", minimum: 1 } };
const UNLIMITED = /^\/(health|ready|metrics|swagger)(\/|$)/;

function limitResponse(status: keyof typeof LIMIT_RESPONSES): OpenAPIV3_1.ResponseObject {
  const { description, ...schema } = LIMIT_RESPONSES[status] as unknown as { description: string };
  return {
    description,
    content: { "application/json": { schema: schema as OpenAPIV3_1.SchemaObject } },
    ...(status === 429 && { headers: { "Retry-After": RETRY_AFTER } }),
  };
}

/**
 * The plugin lists every body and response under JSON, form data and plain text; the API answers
 * JSON. And every route with a body may be 413 or 415, every API route 429 (limits.ts).
 */
function jsonOnly(doc: OpenAPIV3_1.Document): OpenAPIV3_1.Document {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const op of Object.values(item ?? {}) as OpenAPIV3_1.OperationObject[]) {
      op.responses ??= {};
      if (op.requestBody) {
        op.responses["413"] ??= limitResponse(413);
        op.responses["415"] ??= limitResponse(415);
      }
      if (!UNLIMITED.test(path)) op.responses["429"] ??= limitResponse(429);
      // An event stream's events, as its route names them (`detail["x-event-stream"]`): its 200.
      const x = op as { "x-event-stream"?: { description: string; schema: OpenAPIV3_1.SchemaObject; example: string } };
      if (x["x-event-stream"]) {
        const { description, schema, example } = x["x-event-stream"];
        op.responses["200"] = { description, content: { "text/event-stream": { schema, example } } };
        delete x["x-event-stream"];
      }
      // Every operation needs the bearer token unless its route says otherwise (`security: []`, or optional with `[{}, ...]`).
      if (op.security === undefined && !op.tags?.includes("system")) op.security = [{ bearer: [] }];
      if (op.security?.some((s) => "bearer" in s)) {
        op.responses ??= {};
        for (const [code, schema] of Object.entries(errorResponses(401, 403))) {
          op.responses[code] ??= { description: schema.description ?? "", content: { "application/json": { schema: schema as OpenAPIV3_1.SchemaObject } } };
        }
      }
      for (const part of [op.requestBody, ...Object.values(op.responses ?? {})] as { content?: Record<string, unknown> }[]) {
        const json = part?.content?.["application/json"];
        if (json) part.content = { "application/json": json };
      }
    }
  }
  return doc;
}

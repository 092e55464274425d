// The OpenAPI document at /swagger/json: valid for an independent validator, and complete, i.e.
// every route the app serves is in it with a summary, a tag, its inputs, its success and error
// responses (each described, with an example) and the Idempotency-Key header where it applies.
import { beforeAll, describe, expect, test } from "bun:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Value } from "@sinclair/typebox/value";
import type { OpenAPIV3_1 } from "openapi-types";
import { testGateway } from "../test/test-gateway.ts";
import { CancelBody, CreateOrderBody, UpdateStatusBody } from "./modules/orders/model.ts";
import { CreateUserBody, UpdateUserBody } from "./modules/users/model.ts";

type Operation = OpenAPIV3_1.OperationObject;
type Schema = OpenAPIV3_1.SchemaObject;

const { app, send } = testGateway();
let doc: OpenAPIV3_1.Document;
const operations: [string, Operation][] = [];

/** The routes the app serves, as OpenAPI names them ("POST /users/{id}"), but for the docs' own. */
function servedRoutes(): string[] {
  return app.routes.filter((r) => !(r.hooks?.detail as { hide?: boolean } | undefined)?.hide).map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
}

beforeAll(async () => {
  const res = await send("GET", "/swagger/json");
  expect(res.status).toBe(200);
  doc = res.body;
  for (const [path, item] of Object.entries(doc.paths ?? {}))
    for (const [method, op] of Object.entries(item ?? {})) operations.push([`${method.toUpperCase()} ${path}`, op as Operation]);
});

test("is valid OpenAPI, says @apidevtools/swagger-parser", async () => {
  expect(doc.openapi).toBe("3.1.0");
  await SwaggerParser.validate(structuredClone(doc) as never);
});

test("names exactly the routes the app serves", () => {
  const served = servedRoutes();
  expect(served.length).toBeGreaterThanOrEqual(13);
  expect(operations.map(([name]) => name).sort()).toEqual(served.sort());
});

test("hides nothing but the docs themselves", () => {
  const hidden = app.routes.filter((r) => (r.hooks?.detail as { hide?: boolean } | undefined)?.hide).map((r) => r.path);
  expect(hidden.sort()).toEqual(["/swagger", "/swagger/json", "/swagger/scalar.js"]);
});

/** True when a reader (or Scalar) can show an example value for the schema. */
function hasExample(schema: Schema | undefined): boolean {
  if (!schema) return false;
  if (schema.examples?.length || "example" in schema || "const" in schema || schema.enum || "default" in schema || schema.type === "null") return true;
  if (schema.anyOf) return schema.anyOf.every((s) => hasExample(s as Schema));
  if (schema.type === "array") return hasExample(schema.items as Schema);
  if (schema.type === "object") return Object.values(schema.properties ?? {}).every((s) => hasExample(s as Schema)) && !!schema.properties;
  return false;
}

describe("every operation", () => {
  test("has a summary, a declared tag and a unique operationId", () => {
    const tags = new Set(doc.tags?.map((t) => t.name));
    const ids = new Set<string>();
    for (const [name, op] of operations) {
      expect({ name, summary: op.summary ?? "" }).toEqual({ name, summary: expect.stringMatching(/^[A-Z].{4,}/) });
      expect(op.tags?.length).toBe(1);
      expect(tags.has(op.tags![0]!)).toBe(true);
      expect(ids.has(op.operationId!)).toBe(false);
      ids.add(op.operationId!);
    }
  });

  test("describes each response, JSON only, with an example", () => {
    for (const [name, op] of operations) {
      const responses = Object.entries(op.responses ?? {}) as [string, OpenAPIV3_1.ResponseObject][];
      expect({ name, success: responses.some(([s]) => s.startsWith("2")) }).toEqual({ name, success: true });
      for (const [status, response] of responses) {
        const where = `${name} ${status}`;
        expect({ where, description: !!response.description }).toEqual({ where, description: true });
        if (status === "204") {
          expect(response.content).toBeUndefined();
          continue;
        }
        // The live feed's 200 is an event stream of notifications (JSON in each event's data).
        const media = name.endsWith("/stream") && status === "200" ? "text/event-stream" : "application/json";
        expect({ where, media: Object.keys(response.content ?? {}) }).toEqual({ where, media: [media] });
        expect({ where, example: hasExample(response.content![media]!.schema as Schema) }).toEqual({ where, example: true });
      }
    }
  });

  test("gives errors the one error body", () => {
    for (const [name, op] of operations) {
      for (const [status, response] of Object.entries(op.responses ?? {}) as [string, OpenAPIV3_1.ResponseObject][]) {
        // /ready's 503 is its readiness report, naming what is down: not an error of the request.
        if (Number(status) < 400 || name === "GET /ready") continue;
        const schema = response.content?.["application/json"]?.schema as Schema;
        const error = schema?.properties?.error as Schema | undefined;
        expect({ where: `${name} ${status}`, fields: error?.required?.sort() }).toEqual({
          where: `${name} ${status}`,
          fields: ["code", "message", "request_id"],
        });
      }
    }
  });

  test("that calls a service lists 400, 500, 503 and 504; with an id in the path, 404 too where the id names the resource", () => {
    for (const [name, op] of operations) {
      if (op.tags?.includes("system")) continue;
      const statuses = Object.keys(op.responses ?? {});
      expect({ name, statuses }).toEqual({ name, statuses: expect.arrayContaining(["400", "500", "503", "504"]) });
      // /users/{id}/orders and /notifications list what exists: an unknown user has none.
      if (/\{id\}(\/status|\/cancel)?$/.test(name)) expect({ name, statuses }).toEqual({ name, statuses: expect.arrayContaining(["404"]) });
    }
  });

  test("with a body lists 413 and 415; every API route lists 429 with its Retry-After header (limits.ts)", () => {
    for (const [name, op] of operations) {
      const responses = (op.responses ?? {}) as Record<string, OpenAPIV3_1.ResponseObject>;
      if (op.requestBody) expect({ name, statuses: Object.keys(responses) }).toEqual({ name, statuses: expect.arrayContaining(["413", "415"]) });
      if (op.tags?.includes("system")) continue;
      expect({ name, retryAfter: Boolean(responses["429"]?.headers?.["Retry-After"]) }).toEqual({ name, retryAfter: true });
    }
  });

  test("documents its path parameters with a pattern and an example, and its request body with an example", () => {
    for (const [name, op] of operations) {
      for (const p of (op.parameters ?? []) as OpenAPIV3_1.ParameterObject[]) {
        if (p.in !== "path") continue;
        expect({ name, p: p.name, required: p.required, pattern: !!(p.schema as Schema).pattern, example: hasExample(p.schema as Schema) }).toEqual({
          name,
          p: p.name,
          required: true,
          pattern: true,
          example: true,
        });
      }
      const body = (op.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content?.["application/json"]?.schema as Schema | undefined;
      if (body) expect({ name, example: hasExample(body) }).toEqual({ name, example: true });
    }
  });
});

describe("where they apply", () => {
  const op = (name: string) => operations.find(([n]) => n === name)![1];
  const statuses = (name: string) => Object.keys(op(name).responses ?? {});

  test("creates take an Idempotency-Key, and list 409 (in progress or a duplicate) and 422 (key reused)", () => {
    for (const name of ["POST /users", "POST /orders"]) {
      const header = (op(name).parameters as OpenAPIV3_1.ParameterObject[]).find((p) => p.in === "header" && p.name.toLowerCase() === "idempotency-key");
      expect(header?.required).toBe(false);
      expect(header?.description).toContain("24 hours");
      expect(statuses(name)).toEqual(expect.arrayContaining(["201", "409", "422"]));
    }
  });

  test("state conflicts are 409", () => {
    for (const name of ["PATCH /users/{id}", "PATCH /orders/{id}/status", "POST /orders/{id}/cancel"]) expect(statuses(name)).toContain("409");
  });

  test("deleting answers 204 with no body", () => {
    expect(statuses("DELETE /users/{id}")).toContain("204");
  });

  test("paged lists take page_size and page_token", () => {
    for (const name of ["GET /users", "GET /orders", "GET /users/{id}/orders", "GET /users/{id}/notifications"]) {
      const query = (op(name).parameters as OpenAPIV3_1.ParameterObject[]).filter((p) => p.in === "query").map((p) => p.name);
      expect(query).toEqual(expect.arrayContaining(["page_size", "page_token"]));
    }
  });
});

test("request body examples are valid requests", () => {
  for (const model of [CreateUserBody, UpdateUserBody, CreateOrderBody, UpdateStatusBody, CancelBody]) {
    const examples = (model as { examples?: unknown[] }).examples;
    expect(examples?.length).toBeGreaterThan(0);
    for (const example of examples!) expect({ example, valid: Value.Check(model, example) }).toEqual({ example, valid: true });
  }
});

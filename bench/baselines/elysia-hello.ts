// A bare Elysia app: the ceiling of the gateway's HTTP layer on this machine.
// GET /hello, and POST /users validating the same body shape as the gateway (name, email).
//   PORT=... bun bench/baselines/elysia-hello.ts
import { Elysia, t } from "elysia";

new Elysia()
  .get("/hello", () => ({ hello: "world" }))
  .post("/users", ({ body, status }) => status(201, { id: "0195c1d4-0000-7000-8000-000000000000", ...body }), {
    body: t.Object({ name: t.String({ minLength: 1, maxLength: 200 }), email: t.String({ format: "email", maxLength: 254 }) }),
  })
  .listen(Number(process.env.PORT ?? 0));

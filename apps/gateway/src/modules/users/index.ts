import { Elysia, t } from "elysia";
import type { Clients } from "../../clients.ts";
import { requestMeta } from "../../context.ts";
import { errorResponses } from "../../errors.ts";
import { OrderPage, toOrderSummary } from "../orders/model.ts";
import { IdempotencyHeaders, IdParams, PageQuery } from "../shared.ts";
import { CreateUserBody, ListUsersQuery, NotificationPage, toNotification, toUser, toUserSummary, UpdateUserBody, User, UserPage } from "./model.ts";

// Handlers copy each field they forward by name: an unknown body field never reaches a service.
export const users = ({ users, orders, notifications }: Clients) =>
  new Elysia({ prefix: "/users", tags: ["users"] })
    .use(requestMeta)
    .post(
      "",
      async ({ body, headers, meta, status }) => {
        const request = {
          name: body.name,
          email: body.email,
          phone: body.phone ?? "",
          password: body.password ?? "",
          role: body.role ?? "",
          idempotencyKey: headers["idempotency-key"] ?? "",
        };
        return status(201, toUser((await users.createUser(request, meta)).user));
      },
      {
        body: CreateUserBody,
        headers: IdempotencyHeaders,
        response: { 201: User, ...errorResponses(400, 409, 422, 500, 503, 504) },
        detail: {
          summary: "Create a user",
          description:
            "Sign-up, with no token: a password is required and the user is a customer; a verification link is emailed. With an admin's token: any role, and without a password the user is invited by email to set one. Email is unique regardless of case (409 otherwise; see the README on what that tells a stranger). Send an Idempotency-Key to retry safely. Publishes UserCreated.",
          // The token is optional here: without one, this is sign-up.
          security: [{}, { bearer: [] }],
        },
      },
    )
    .get(
      "",
      async ({ query, meta }) => {
        const page = await users.listUsers({ pageSize: query.page_size ?? 0, pageToken: query.page_token ?? "" }, meta);
        return { users: page.users.map(toUserSummary), next_page_token: page.nextPageToken };
      },
      { query: ListUsersQuery, response: { 200: UserPage, ...errorResponses(400, 500, 503, 504) }, detail: { summary: "List users, newest first" } },
    )
    .get("/:id", async ({ params, meta }) => toUser((await users.getUser({ id: params.id }, meta)).user), {
      params: IdParams,
      response: { 200: User, ...errorResponses(400, 404, 500, 503, 504) },
      detail: { summary: "Get a user" },
    })
    .patch(
      "/:id",
      async ({ params, body, meta }) => {
        const request = { id: params.id, name: body.name, email: body.email, phone: body.phone };
        return toUser((await users.updateUser(request, meta)).user);
      },
      {
        params: IdParams,
        body: UpdateUserBody,
        response: { 200: User, ...errorResponses(400, 404, 409, 500, 503, 504) },
        detail: {
          summary: "Update some of a user's fields",
          description: "409 if the new email belongs to another user. Publishes UserUpdated naming the fields that changed.",
        },
      },
    )
    .delete(
      "/:id",
      async ({ params, meta, status }) => {
        await users.deleteUser({ id: params.id }, meta);
        return status(204, undefined);
      },
      {
        params: IdParams,
        response: { 204: t.Void({ description: "Deleted; no body" }), ...errorResponses(400, 404, 500, 503, 504) },
        detail: { summary: "Delete a user", description: "Publishes UserDeleted; the user's open orders are then cancelled." },
      },
    )
    .get(
      "/:id/orders",
      async ({ params, query, meta }) => {
        const page = await orders.listOrders({ userId: params.id, pageSize: query.page_size ?? 0, pageToken: query.page_token ?? "" }, meta);
        return { orders: page.orders.map(toOrderSummary), next_page_token: page.nextPageToken };
      },
      {
        params: IdParams,
        query: t.Object(PageQuery),
        response: { 200: OrderPage, ...errorResponses(400, 500, 503, 504) },
        detail: { summary: "List a user's orders, newest first" },
      },
    )
    .get(
      "/:id/notifications",
      async ({ params, query, meta }) => {
        const request = { userId: params.id, pageSize: query.page_size ?? 0, pageToken: query.page_token ?? "" };
        const page = await notifications.listNotifications(request, meta);
        return { notifications: page.notifications.map(toNotification), next_page_token: page.nextPageToken };
      },
      {
        params: IdParams,
        query: t.Object(PageQuery),
        response: { 200: NotificationPage, ...errorResponses(400, 500, 503, 504) },
        detail: { summary: "List what a user was told, newest first", description: "Each notification with its deliveries per channel." },
      },
    );

import { Elysia } from "elysia";
import type { Clients } from "../../clients.ts";
import { ErrorBody } from "../../errors.ts";
import { OrderPage, toOrder } from "../orders/model.ts";
import { requestMeta } from "../../context.ts";
import { IdempotencyHeaders, IdParams, PageQuery } from "../shared.ts";
import { t } from "elysia";
import { CreateUserBody, ListUsersQuery, NotificationPage, toNotification, toUser, UpdateUserBody, User, UserPage } from "./model.ts";

const failures = { 400: ErrorBody, 503: ErrorBody, 504: ErrorBody };

export const users = ({ users, orders, notifications }: Clients) =>
  new Elysia({ prefix: "/users", tags: ["users"] })
    .use(requestMeta)
    .post(
      "",
      async ({ body, headers, meta, status }) => {
        const { user } = await users.createUser({ ...body, phone: body.phone ?? "", idempotencyKey: headers["idempotency-key"] ?? "" }, meta);
        return status(201, toUser(user));
      },
      {
        body: CreateUserBody,
        headers: IdempotencyHeaders,
        response: { 201: User, ...failures, 409: ErrorBody, 422: ErrorBody },
        detail: { summary: "Create a user", description: "Email is unique regardless of case. Publishes UserCreated." },
      },
    )
    .get(
      "",
      async ({ query, meta }) => {
        const page = await users.listUsers({ pageSize: query.page_size ?? 0, pageToken: query.page_token ?? "" }, meta);
        return { users: page.users.map(toUser), next_page_token: page.nextPageToken };
      },
      { query: ListUsersQuery, response: { 200: UserPage, ...failures }, detail: { summary: "List users, newest first" } },
    )
    .get("/:id", async ({ params, meta }) => toUser((await users.getUser({ id: params.id }, meta)).user), {
      params: IdParams,
      response: { 200: User, ...failures, 404: ErrorBody },
      detail: { summary: "Get a user" },
    })
    .patch(
      "/:id",
      async ({ params, body, meta }) => toUser((await users.updateUser({ id: params.id, ...body }, meta)).user),
      {
        params: IdParams,
        body: UpdateUserBody,
        response: { 200: User, ...failures, 404: ErrorBody, 409: ErrorBody },
        detail: { summary: "Update some of a user's fields", description: "Publishes UserUpdated naming the fields that changed." },
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
        response: { 204: t.Void(), ...failures, 404: ErrorBody },
        detail: { summary: "Delete a user", description: "Publishes UserDeleted; the user's open orders are then cancelled." },
      },
    )
    .get(
      "/:id/orders",
      async ({ params, query, meta }) => {
        const page = await orders.listOrders({ userId: params.id, pageSize: query.page_size ?? 0, pageToken: query.page_token ?? "" }, meta);
        return { orders: page.orders.map(toOrder), next_page_token: page.nextPageToken };
      },
      { params: IdParams, query: t.Object(PageQuery), response: { 200: OrderPage, ...failures }, detail: { summary: "List a user's orders, newest first" } },
    )
    .get(
      "/:id/notifications",
      async ({ params, query, meta }) => {
        const page = await notifications.listNotifications(
          { userId: params.id, pageSize: query.page_size ?? 0, pageToken: query.page_token ?? "" },
          meta,
        );
        return { notifications: page.notifications.map(toNotification), next_page_token: page.nextPageToken };
      },
      {
        params: IdParams,
        query: t.Object(PageQuery),
        response: { 200: NotificationPage, ...failures },
        detail: { summary: "List what a user was told, newest first", description: "Each notification with its deliveries per channel." },
      },
    );

import { orderStatusToProto } from "@evented/core";
import { CANCELLABLE, describeLifecycle } from "@evented/order/order";
import { Elysia, ParseError } from "elysia";
import type { Clients } from "../../clients.ts";
import { requestMeta } from "../../context.ts";
import { errorResponses } from "../../errors.ts";
import { IdempotencyHeaders, IdParams } from "../shared.ts";
import { CancelBody, CreateOrderBody, ListOrdersQuery, Order, OrderPage, ProductList, toOrder, toOrderSummary, toProduct, UpdateStatusBody } from "./model.ts";

// Handlers copy each field they forward by name: an unknown body field never reaches a service.
export const orders = ({ orders }: Clients) =>
  new Elysia({ tags: ["orders"] })
    .use(requestMeta)
    .get("/products", async ({ meta }) => ({ products: (await orders.listProducts({}, meta)).products.map(toProduct) }), {
      response: { 200: ProductList, ...errorResponses(400, 401, 500, 503, 504) },
      detail: {
        summary: "List the product catalog",
        description: "Open to anyone, no token needed. Orders are priced from it.",
        security: [{}, { bearer: [] }],
      },
    })
    .group("/orders", (app) =>
      app
        .post(
          "",
          async ({ body, headers, meta, status }) => {
            const items = body.items.map((i) => ({ productId: i.product_id, quantity: i.quantity }));
            const request = { userId: body.user_id ?? "", items, currency: body.currency ?? "", idempotencyKey: headers["idempotency-key"] ?? "" };
            return status(201, toOrder((await orders.createOrder(request, meta)).order));
          },
          {
            body: CreateOrderBody,
            headers: IdempotencyHeaders,
            response: { 201: Order, ...errorResponses(400, 409, 422, 500, 503, 504) },
            detail: {
              summary: "Place an order",
              description:
                "Each item is priced from the product catalog (GET /products) now, and the order keeps that price: a unit_price in the body is 400, as is an unknown product or items in more than one currency. The order's currency is its products'. The user must exist (400 otherwise). Send an Idempotency-Key to retry safely: a retry with the same key and body returns the first order. Publishes OrderCreated.",
            },
          },
        )
        .get(
          "",
          async ({ query, meta }) => {
            const page = await orders.listOrders({ userId: query.user_id ?? "", pageSize: query.page_size ?? 0, pageToken: query.page_token ?? "" }, meta);
            return { orders: page.orders.map(toOrderSummary), next_page_token: page.nextPageToken };
          },
          {
            query: ListOrdersQuery,
            response: { 200: OrderPage, ...errorResponses(400, 500, 503, 504) },
            detail: { summary: "List orders, newest first", description: "All orders, or one user's with user_id." },
          },
        )
        .get("/:id", async ({ params, meta }) => toOrder((await orders.getOrder({ id: params.id }, meta)).order), {
          params: IdParams,
          response: { 200: Order, ...errorResponses(400, 404, 500, 503, 504) },
          detail: { summary: "Get an order" },
        })
        .patch(
          "/:id/status",
          async ({ params, body, meta }) => toOrder((await orders.updateOrderStatus({ id: params.id, status: orderStatusToProto(body.status) }, meta)).order),
          {
            params: IdParams,
            body: UpdateStatusBody,
            response: { 200: Order, ...errorResponses(400, 404, 409, 500, 503, 504) },
            detail: {
              summary: "Move an order along its lifecycle",
              description: `${describeLifecycle()}. Any other move is 409. Publishes OrderStatusUpdated (or OrderCancelled).`,
            },
          },
        )
        .post("/:id/cancel", async ({ params, body, meta }) => toOrder((await orders.cancelOrder({ id: params.id, reason: body?.reason ?? "" }, meta)).order), {
          params: IdParams,
          // The body is optional, but what is sent must be JSON: Elysia's parser for optional
          // bodies drops what it cannot parse, which would cancel the order on any garbage.
          parse: async ({ request }) => {
            const text = await request.text();
            if (text.trim() === "") return {};
            try {
              return JSON.parse(text);
            } catch {
              throw new ParseError();
            }
          },
          body: CancelBody,
          response: { 200: Order, ...errorResponses(400, 404, 409, 500, 503, 504) },
          detail: {
            summary: "Cancel an order",
            description: `Allowed while the order is ${CANCELLABLE.join(" or ")}; 409 after. The body is optional. Publishes OrderCancelled.`,
          },
        }),
    );

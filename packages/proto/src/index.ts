// Generated code lives in ./gen (run `bun run proto`); this file only names it.

export * as authV1 from "./gen/auth/v1/auth.js";
export * as eventsV1 from "./gen/events/v1/events.js";
export * as notificationV1 from "./gen/notification/v1/notification.js";
export * as opsV1 from "./gen/ops/v1/ops.js";
export * as orderV1 from "./gen/order/v1/order.js";
export * as userV1 from "./gen/user/v1/user.js";

import { EMAIL_PATTERN, LIMITS, UUID_PATTERN } from "@evented/core";
import { t } from "elysia";

const EXAMPLE_ID = "01976b8e-4a4e-7cc1-9a7b-2b0c1c9b5e10";
export const EXAMPLE_TIME = "2025-06-12T09:30:00.000Z";

export const Id = (name = "id") => t.String({ pattern: UUID_PATTERN, error: `${name} must be a UUID`, examples: [EXAMPLE_ID] });
/** Ids in paths and queries: the docs plugin lifts `examples` onto the parameter, where OpenAPI wants a map; `example` stays put. */
export const IdParam = (name = "id") => t.String({ pattern: UUID_PATTERN, error: `${name} must be a UUID`, example: EXAMPLE_ID });
export const IdParams = t.Object({ id: IdParam() });
export const Time = t.String({ format: "date-time", examples: [EXAMPLE_TIME] });

export const Email = t.String({
  pattern: EMAIL_PATTERN,
  maxLength: LIMITS.emailMax,
  error: "email must be a valid email address",
  examples: ["john@example.com"],
});

export const PageQuery = {
  page_size: t.Optional(
    t.Integer({
      minimum: 1,
      maximum: LIMITS.pageSizeMax,
      default: LIMITS.pageSizeDefault,
      error: `page_size must be a whole number from 1 to ${LIMITS.pageSizeMax}`,
    }),
  ),
  page_token: t.Optional(t.String({ maxLength: 200, description: "next_page_token of the previous page", error: "page_token is not valid" })),
};

/** A page's cursor: empty on the last page. */
export const NextPageToken = t.String({ description: "Pass as page_token for the next page; empty on the last page", examples: [""] });

export const IdempotencyHeaders = t.Object({
  "idempotency-key": t.Optional(
    t.String({
      minLength: 1,
      maxLength: LIMITS.idempotencyKeyMax,
      description:
        "Idempotency-Key: a retry with the same key within 24 hours returns the first response and creates nothing new; the same key with a different body is 422.",
      error: `Idempotency-Key must be 1 to ${LIMITS.idempotencyKeyMax} characters`,
      example: "3f1c2a9e-order-checkout-42",
    }),
  ),
});

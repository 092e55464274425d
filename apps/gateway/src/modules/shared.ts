import { EMAIL_PATTERN, LIMITS, UUID_PATTERN } from "@evented/core";
import { t } from "elysia";

export const Id = (name = "id") => t.String({ pattern: UUID_PATTERN, error: `${name} must be a UUID`, examples: ["01976b8e-4a4e-7cc1-9a7b-2b0c1c9b5e10"] });
export const IdParams = t.Object({ id: Id() });

export const Email = t.String({ pattern: EMAIL_PATTERN, maxLength: LIMITS.emailMax, error: "email must be a valid email address", examples: ["john@example.com"] });

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

export const IdempotencyHeaders = t.Object({
  "idempotency-key": t.Optional(
    t.String({
      minLength: 1,
      maxLength: LIMITS.idempotencyKeyMax,
      description: "A retry with the same key within 24 hours returns the first response and creates nothing new.",
      error: `Idempotency-Key must be 1 to ${LIMITS.idempotencyKeyMax} characters`,
    }),
  ),
});

-- POST /orders' transaction in the order service, statement for statement as Drizzle sends them
-- (apps/order/src/service.ts create(), repository.ts, packages/core/src/outbox.ts add(); no
-- Idempotency-Key, so packages/core/src/idempotency.ts adds nothing), then the relay's update of
-- the published row (done per row here; the relay batches up to 200, after a SKIP LOCKED select).
-- The ids are made by PostgreSQL here, by the service (UUIDv7) in the system. The service sends the
-- catalog read, then the five statements after it in one pipelined write (packages/core/src/db.ts); pgbench sends them one
-- by one, which is the same work for the server, in more round trips.
-- pgbench -D uid=<user uuid> -D subject=<subject> -D payload=<\x...> -D headers=<json>
BEGIN;
select "id", "name", "unit_price", "currency" from "products" where "products"."id" in ('456');
select pg_advisory_xact_lock_shared(hashtextextended(:uid, 0));
select "user_id", "deleted_at" from "deleted_users" where "deleted_users"."user_id" = :uid;
insert into "orders" ("id", "user_id", "status", "currency", "total", "cancel_reason", "created_at", "updated_at") values (gen_random_uuid(), :uid, 'pending', 'USD', 2500, default, default, default) returning "id", "user_id", "status", "currency", "total", "cancel_reason", "created_at", "updated_at" \gset o_
insert into "order_items" ("order_id", "line", "product_id", "quantity", "unit_price") values (:o_id, 0, '456', 2, 1250);
insert into "outbox" ("id", "event_id", "subject", "aggregate_id", "payload", "headers", "created_at", "published_at") values (default, gen_random_uuid(), :subject, :o_id, :payload, :headers, default, default) returning "id" \gset ob_
COMMIT;
update "outbox" set "published_at" = now() where "outbox"."id" = :ob_id;

-- Every statement one POST /orders runs in the order database, as pg_stat_statements records them
-- (bench/lib/statements.test.ts keeps this true): the order's transaction (apps/order/src/service.ts
-- create(): the products' prices, the user's shared lock, the read model of users, the order, its items, the outbox row),
-- then the relay's pass woken by its commit (packages/core/src/outbox.ts relayCommitted: the rows
-- that transaction wrote, by id, SKIP LOCKED; the earlier rows of their aggregates; and their update
-- once JetStream acked). The relay's
-- sweep (a scan for rows no commit handed over, once a second) is background, not per order. The
-- ids the service makes (UUIDv7), and the id array the relay passes, come from bench_helper
-- statements here, which the test does not count. The service pipelines the transaction's
-- statements (one write); pgbench sends them one by one: the same work for the server.
-- pgbench -D uid=<user uuid> -D order_subject=<subject> -D payload=<\x...> -D headers=<json>
select gen_random_uuid() as bench_helper_order, gen_random_uuid() as bench_helper_event \gset
BEGIN;
select "id", "name", "unit_price", "currency" from "products" where "products"."id" in ('456');
select pg_advisory_xact_lock_shared(hashtextextended(:uid, 0));
select exists (select 1 from "known_users" where "known_users"."user_id" = :uid) as known, exists (select 1 from "deleted_users" where "deleted_users"."user_id" = :uid) as deleted;
insert into "orders" ("id", "user_id", "status", "currency", "total", "cancel_reason", "created_at", "updated_at") values (:bench_helper_order, :uid, 'pending', 'USD', 2500, default, default, default) returning "id", "user_id", "status", "currency", "total", "cancel_reason", "created_at", "updated_at";
insert into "order_items" ("order_id", "line", "product_id", "quantity", "unit_price") values (:bench_helper_order, 0, '456', 2, 1250);
insert into "outbox" ("id", "event_id", "subject", "aggregate_id", "payload", "headers", "created_at", "published_at") values (default, :bench_helper_event, :order_subject, :bench_helper_order, :payload, :headers, default, default) returning "id", "aggregate_id" \gset outbox_
COMMIT;
select '{' || :outbox_id || '}' as bench_helper_ids, '{' || :bench_helper_order || '}' as bench_helper_aggs, :outbox_id as bench_helper_last \gset
BEGIN;
select "id", "event_id", "subject", "aggregate_id", "payload", "headers", "published_at" from "outbox" where "outbox"."id" = any(:bench_helper_ids) order by "outbox"."id" for update skip locked \aset relay_
select "id", "aggregate_id", "published_at" from "outbox" where ("outbox"."aggregate_id" = any(:bench_helper_aggs) and "outbox"."id" < :bench_helper_last) \aset before_
update "outbox" set "published_at" = now() where "outbox"."id" = any(:bench_helper_ids);
COMMIT;

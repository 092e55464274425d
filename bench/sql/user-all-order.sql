-- Every statement one POST /users runs in the order database (bench/lib/statements.test.ts keeps
-- this true): UserCreated into the read model of users (apps/order/src/subscriptions.ts), in the
-- consumer's transaction with its inbox row (packages/core/src/consumer.ts).
-- pgbench (no variables)
select gen_random_uuid() as bench_helper_user, gen_random_uuid() as bench_helper_event \gset
BEGIN;
insert into "processed_events" ("consumer", "event_id", "processed_at") values ('order-on-user-created', :bench_helper_event, default) on conflict do nothing returning "event_id";
insert into "known_users" ("user_id", "known_at") values (:bench_helper_user, default) on conflict do nothing;
COMMIT;

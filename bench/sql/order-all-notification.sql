-- Every statement one POST /orders runs in the notification database, as pg_stat_statements
-- records them (bench/lib/statements.test.ts keeps this true): the worker's transaction for
-- OrderCreated (packages/core/src/consumer.ts: the inbox row; apps/notification: the recipient,
-- the notification and its two deliveries, email and push, claimed as they are inserted), then
-- the deliverer's pass over what the worker handed it after the commit (apps/notification/src/
-- deliverer.ts: no claim statement; in one transaction, both outcomes and the feed entry of the
-- notification they ended). Every feed write takes the feed's lock, writes a transaction's
-- entries in one statement and NOTIFYs their users' streams in another. bench_helper statements
-- stand for the ids the worker makes or gets back and are not counted by the test.
-- pgbench -D uid=<user uuid>
select gen_random_uuid() as bench_helper_event, gen_random_uuid() as bench_helper_notification \gset
select '{' || :uid::text || '}' as bench_helper_users, '{' || :bench_helper_notification::text || '}' as bench_helper_notifications \gset
BEGIN;
insert into "processed_events" ("consumer", "event_id", "processed_at") values ('notification', :bench_helper_event, default) on conflict do nothing returning "event_id";
select "user_id", "name", "email", "phone", "deleted_at", "updated_at" from "recipients" where "recipients"."user_id" = :uid;
select "kind", "channel", "enabled" from "notification_preferences" where "notification_preferences"."user_id" = :uid;
insert into "notifications" ("id", "user_id", "kind", "subject", "body", "event_id", "event_type", "created_at", "to_address", "sealed_token") values (:bench_helper_notification, :uid, 'order_confirmation', 'Order 0195c1d4-0000-7000-8000-000000000002 received', 'Hello Customer,\n\nwe received your order 0195c1d4-0000-7000-8000-000000000002 of 2 item(s), total $25.00.', :bench_helper_event, 'OrderCreated', default, null, null) returning "id", "user_id", "kind", "subject", "body", "event_id", "event_type", "created_at", "to_address", "sealed_token";
insert into "deliveries" ("id", "notification_id", "channel", "status", "attempts", "next_attempt_at", "last_error", "address", "sent_at") values (default, :bench_helper_notification, 'email', 'pending', 1, now() + 60000 * interval '1 millisecond', '', default, default), (default, :bench_helper_notification, 'push', 'pending', 1, now() + 60000 * interval '1 millisecond', '', default, default) returning "id", "notification_id", "channel", "status", "attempts", "next_attempt_at", "last_error", "address", "sent_at";
select pg_advisory_xact_lock(hashtext('notification_feed'));
insert into "notification_feed" (user_id, notification_id) select * from unnest(:bench_helper_users::uuid[], :bench_helper_notifications::uuid[]);
select pg_notify('notification_feed', u) from unnest(:bench_helper_users::text[]) u;
COMMIT;
select min(id) as bench_helper_email, max(id) as bench_helper_push from deliveries where notification_id = :bench_helper_notification \gset
BEGIN;
update "deliveries" set status = v.status, address = coalesce(v.address, "deliveries"."address"), sent_at = case when v.status = 'sent' then now() else "deliveries"."sent_at" end, last_error = v.error, next_attempt_at = case when v.retry_ms is null then "deliveries"."next_attempt_at" else now() + v.retry_ms * interval '1 millisecond' end from (values (:bench_helper_email::bigint, 'sent'::text, 'c0@bench.example.com'::text, ''::text, null::int), (:bench_helper_push::bigint, 'sent'::text, :uid::text, ''::text, null::int)) as v (id, status, address, error, retry_ms) where "deliveries"."id" = v.id;
select pg_advisory_xact_lock(hashtext('notification_feed'));
insert into "notification_feed" (user_id, notification_id) select * from unnest(:bench_helper_users::uuid[], :bench_helper_notifications::uuid[]);
select pg_notify('notification_feed', u) from unnest(:bench_helper_users::text[]) u;
COMMIT;

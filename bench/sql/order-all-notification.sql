-- Every statement one POST /orders runs in the notification database, as pg_stat_statements
-- records them (bench/lib/statements.test.ts keeps this true): the worker's transaction for
-- OrderCreated (packages/core/src/consumer.ts: the inbox row; apps/notification: the recipient,
-- the notification and its two deliveries, email and push), then the deliverer's pass
-- (apps/notification/src/repository.ts: claim the due deliveries with their notification and
-- recipient in one statement, then, in one transaction, look rows up by key, write both outcomes and the feed entry
-- of the notification they ended). Every feed write takes the feed's lock, writes a transaction's entries in one statement and NOTIFYs their users' streams in another. bench_helper statements stand for
-- the ids the worker makes or gets back and are not counted by the test.
-- pgbench -D uid=<user uuid>
select gen_random_uuid() as bench_helper_event, gen_random_uuid() as bench_helper_notification \gset
select '{' || :uid::text || '}' as bench_helper_users, '{' || :bench_helper_notification::text || '}' as bench_helper_notifications \gset
BEGIN;
insert into "processed_events" ("consumer", "event_id", "processed_at") values ('notification', :bench_helper_event, default) on conflict do nothing returning "event_id";
select "user_id", "name", "email", "phone", "deleted_at", "updated_at", "version", "erased_at" from "recipients" where "recipients"."user_id" = :uid;
select "kind", "channel", "enabled" from "notification_preferences" where "notification_preferences"."user_id" = :uid;
insert into "notifications" ("id", "user_id", "kind", "subject", "body", "event_id", "event_type", "created_at", "to_address", "sealed_token") values (:bench_helper_notification, :uid, 'order_confirmation', 'Order 0195c1d4-0000-7000-8000-000000000002 received', 'Hello Customer,\n\nwe received your order 0195c1d4-0000-7000-8000-000000000002 of 2 item(s), total $25.00.', :bench_helper_event, 'OrderCreated', default, null, null);
insert into "deliveries" ("id", "notification_id", "channel", "status", "attempts", "next_attempt_at", "last_error", "address", "sent_at") values (default, :bench_helper_notification, 'email', 'pending', default, default, '', default, default), (default, :bench_helper_notification, 'push', 'pending', default, default, '', default, default);
select pg_advisory_xact_lock(hashtext('notification_feed'));
insert into "notification_feed" (user_id, notification_id) select * from unnest(:bench_helper_users::uuid[], :bench_helper_notifications::uuid[]);
select pg_notify('notification_feed', u) from unnest(:bench_helper_users::text[]) u;
COMMIT;
with "claimed" as (update "deliveries" set "attempts" = "deliveries"."attempts" + 1, "next_attempt_at" = now() + '60000 milliseconds'::interval where "deliveries"."id" in (select "id" from "deliveries" where ("deliveries"."status" = 'pending' and "deliveries"."next_attempt_at" <= now()) order by "deliveries"."next_attempt_at" limit 50 for update skip locked) returning "id", "notification_id", "channel", "status", "attempts", "next_attempt_at", "last_error", "address", "sent_at") select "claimed"."id", "claimed"."notification_id", "claimed"."channel", "claimed"."status", "claimed"."attempts", "claimed"."next_attempt_at", "claimed"."last_error", "claimed"."address", "claimed"."sent_at", "notifications"."id", "notifications"."user_id", "notifications"."kind", "notifications"."subject", "notifications"."body", "notifications"."event_id", "notifications"."event_type", "notifications"."created_at", "notifications"."to_address", "notifications"."sealed_token", "recipients"."user_id", "recipients"."name", "recipients"."email", "recipients"."phone", "recipients"."deleted_at", "recipients"."updated_at", "recipients"."version", "recipients"."erased_at" from "claimed" inner join "notifications" on "notifications"."id" = "claimed"."notification_id" left join "recipients" on "recipients"."user_id" = "notifications"."user_id" order by "claimed"."id";
select '{' || min(id) || ',' || max(id) || '}' as bench_helper_deliveries, '{c0@bench.example.com,' || :uid::text || '}' as bench_helper_addresses from deliveries where notification_id = :bench_helper_notification \gset
BEGIN;
set local enable_seqscan = off;
update "deliveries" set status = v.status, address = coalesce(v.address, "deliveries"."address"), sent_at = case when v.status = 'sent' then now() else "deliveries"."sent_at" end, last_error = v.error, next_attempt_at = case when v.retry_ms is null then "deliveries"."next_attempt_at" else now() + v.retry_ms * interval '1 millisecond' end from unnest(:bench_helper_deliveries::bigint[], '{sent,sent}'::text[], :bench_helper_addresses::text[], '{"",""}'::text[], '{NULL,NULL}'::int[], '{1,1}'::int[]) as v (id, status, address, error, retry_ms, attempts) where "deliveries"."id" = v.id and "deliveries"."attempts" = v.attempts and "deliveries"."status" = 'pending';
select pg_advisory_xact_lock(hashtext('notification_feed'));
insert into "notification_feed" (user_id, notification_id) select * from unnest(:bench_helper_users::uuid[], :bench_helper_notifications::uuid[]);
select pg_notify('notification_feed', u) from unnest(:bench_helper_users::text[]) u;
COMMIT;

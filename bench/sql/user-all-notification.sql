-- Every statement one POST /users runs in the notification database (bench/lib/statements.test.ts
-- keeps this true): UserCreated (inbox row, the recipient saved, the welcome email) and
-- AccountEmailRequested (inbox row, the recipient read, the invitation with its sealed token),
-- each in the worker's transaction (with a feed entry, and the user's preferences, read for every
-- event though the invitation is a locked kind);
-- then, per notification, the deliverer's claim, and its outcome with a feed entry in one
-- transaction, its rows looked up by key; the invitation's also clears its sealed token.
-- pgbench (no variables)
select gen_random_uuid() as bench_helper_user, gen_random_uuid() as bench_helper_e1, gen_random_uuid() as bench_helper_e2, gen_random_uuid() as bench_helper_n1, gen_random_uuid() as bench_helper_n2, now() as bench_helper_now \gset
select '{' || :bench_helper_user::text || '}' as bench_helper_users, '{' || :bench_helper_n1::text || '}' as bench_helper_n1s, '{' || :bench_helper_n2::text || '}' as bench_helper_n2s \gset
BEGIN;
insert into "processed_events" ("consumer", "event_id", "processed_at") values ('notification', :bench_helper_e1, default) on conflict do nothing returning "event_id";
insert into "recipients" ("user_id", "name", "email", "phone", "deleted_at", "updated_at", "version", "erased_at") values (:bench_helper_user, 'Bench User', 'x@bench.example.com', '', default, :bench_helper_now, 1, default) on conflict ("user_id") do update set "user_id" = :bench_helper_user, "name" = 'Bench User', "email" = 'x@bench.example.com', "phone" = '', "updated_at" = :bench_helper_now, "version" = greatest("recipients"."version", excluded.version) where "recipients"."version" < 2147483647 and (excluded.version = 0 or "recipients"."version" < excluded.version) returning "user_id";
select "kind", "channel", "enabled" from "notification_preferences" where "notification_preferences"."user_id" = :bench_helper_user;
insert into "notifications" ("id", "user_id", "kind", "subject", "body", "event_id", "event_type", "created_at", "to_address", "sealed_token") values (:bench_helper_n1, :bench_helper_user, 'welcome', 'Welcome aboard', 'Hello Bench User,\n\nwelcome aboard.', :bench_helper_e1, 'UserCreated', default, null, null);
insert into "deliveries" ("id", "notification_id", "channel", "status", "attempts", "next_attempt_at", "last_error", "address", "sent_at") values (default, :bench_helper_n1, 'email', 'pending', default, default, '', default, default);
select pg_advisory_xact_lock(hashtext('notification_feed'));
insert into "notification_feed" (user_id, notification_id) select * from unnest(:bench_helper_users::uuid[], :bench_helper_n1s::uuid[]);
select pg_notify('notification_feed', u) from unnest(:bench_helper_users::text[]) u;
COMMIT;
BEGIN;
insert into "processed_events" ("consumer", "event_id", "processed_at") values ('notification', :bench_helper_e2, default) on conflict do nothing returning "event_id";
select "user_id", "name", "email", "phone", "deleted_at", "updated_at", "version", "erased_at" from "recipients" where "recipients"."user_id" = :bench_helper_user;
select "kind", "channel", "enabled" from "notification_preferences" where "notification_preferences"."user_id" = :bench_helper_user;
insert into "notifications" ("id", "user_id", "kind", "subject", "body", "event_id", "event_type", "created_at", "to_address", "sealed_token") values (:bench_helper_n2, :bench_helper_user, 'invitation', 'You are invited', 'Hello Bench User,\n\nyou are invited: {{link}}', :bench_helper_e2, 'AccountEmailRequested', default, 'x@bench.example.com', 'sealed-token-of-about-this-size-0123456789abcdef0123456789abcdef0123456789abcdef');
insert into "deliveries" ("id", "notification_id", "channel", "status", "attempts", "next_attempt_at", "last_error", "address", "sent_at") values (default, :bench_helper_n2, 'email', 'pending', default, default, '', default, default);
select pg_advisory_xact_lock(hashtext('notification_feed'));
insert into "notification_feed" (user_id, notification_id) select * from unnest(:bench_helper_users::uuid[], :bench_helper_n2s::uuid[]);
select pg_notify('notification_feed', u) from unnest(:bench_helper_users::text[]) u;
COMMIT;
with "claimed" as (update "deliveries" set "attempts" = "deliveries"."attempts" + 1, "next_attempt_at" = now() + '60000 milliseconds'::interval where "deliveries"."id" in (select "id" from "deliveries" where ("deliveries"."status" = 'pending' and "deliveries"."next_attempt_at" <= now()) order by "deliveries"."next_attempt_at" limit 50 for update skip locked) returning "id", "notification_id", "channel", "status", "attempts", "next_attempt_at", "last_error", "address", "sent_at") select "claimed"."id", "claimed"."notification_id", "claimed"."channel", "claimed"."status", "claimed"."attempts", "claimed"."next_attempt_at", "claimed"."last_error", "claimed"."address", "claimed"."sent_at", "notifications"."id", "notifications"."user_id", "notifications"."kind", "notifications"."subject", "notifications"."body", "notifications"."event_id", "notifications"."event_type", "notifications"."created_at", "notifications"."to_address", "notifications"."sealed_token", "recipients"."user_id", "recipients"."name", "recipients"."email", "recipients"."phone", "recipients"."deleted_at", "recipients"."updated_at", "recipients"."version", "recipients"."erased_at" from "claimed" inner join "notifications" on "notifications"."id" = "claimed"."notification_id" left join "recipients" on "recipients"."user_id" = "notifications"."user_id" order by "claimed"."id";
select '{' || min(id) || '}' as bench_helper_d1s, '{' || max(id) || '}' as bench_helper_d2s from deliveries where notification_id in (:bench_helper_n1, :bench_helper_n2) \gset
BEGIN;
set local enable_seqscan = off;
update "deliveries" set status = v.status, address = coalesce(v.address, "deliveries"."address"), sent_at = case when v.status = 'sent' then now() else "deliveries"."sent_at" end, last_error = v.error, next_attempt_at = case when v.retry_ms is null then "deliveries"."next_attempt_at" else now() + v.retry_ms * interval '1 millisecond' end from unnest(:bench_helper_d1s::bigint[], '{sent}'::text[], '{x@bench.example.com}'::text[], '{""}'::text[], '{NULL}'::int[], '{1}'::int[]) as v (id, status, address, error, retry_ms, attempts) where "deliveries"."id" = v.id and "deliveries"."attempts" = v.attempts and "deliveries"."status" = 'pending';
select pg_advisory_xact_lock(hashtext('notification_feed'));
insert into "notification_feed" (user_id, notification_id) select * from unnest(:bench_helper_users::uuid[], :bench_helper_n1s::uuid[]);
select pg_notify('notification_feed', u) from unnest(:bench_helper_users::text[]) u;
COMMIT;
with "claimed" as (update "deliveries" set "attempts" = "deliveries"."attempts" + 1, "next_attempt_at" = now() + '60000 milliseconds'::interval where "deliveries"."id" in (select "id" from "deliveries" where ("deliveries"."status" = 'pending' and "deliveries"."next_attempt_at" <= now()) order by "deliveries"."next_attempt_at" limit 50 for update skip locked) returning "id", "notification_id", "channel", "status", "attempts", "next_attempt_at", "last_error", "address", "sent_at") select "claimed"."id", "claimed"."notification_id", "claimed"."channel", "claimed"."status", "claimed"."attempts", "claimed"."next_attempt_at", "claimed"."last_error", "claimed"."address", "claimed"."sent_at", "notifications"."id", "notifications"."user_id", "notifications"."kind", "notifications"."subject", "notifications"."body", "notifications"."event_id", "notifications"."event_type", "notifications"."created_at", "notifications"."to_address", "notifications"."sealed_token", "recipients"."user_id", "recipients"."name", "recipients"."email", "recipients"."phone", "recipients"."deleted_at", "recipients"."updated_at", "recipients"."version", "recipients"."erased_at" from "claimed" inner join "notifications" on "notifications"."id" = "claimed"."notification_id" left join "recipients" on "recipients"."user_id" = "notifications"."user_id" order by "claimed"."id";
BEGIN;
set local enable_seqscan = off;
update "deliveries" set status = v.status, address = coalesce(v.address, "deliveries"."address"), sent_at = case when v.status = 'sent' then now() else "deliveries"."sent_at" end, last_error = v.error, next_attempt_at = case when v.retry_ms is null then "deliveries"."next_attempt_at" else now() + v.retry_ms * interval '1 millisecond' end from unnest(:bench_helper_d2s::bigint[], '{sent}'::text[], '{x@bench.example.com}'::text[], '{""}'::text[], '{NULL}'::int[], '{1}'::int[]) as v (id, status, address, error, retry_ms, attempts) where "deliveries"."id" = v.id and "deliveries"."attempts" = v.attempts and "deliveries"."status" = 'pending';
update "notifications" n set sealed_token = null where n.id = any(:bench_helper_n2s::uuid[]) and n.sealed_token is not null and not exists (select 1 from "deliveries" d where d.notification_id = n.id and d.status = 'pending');
select pg_advisory_xact_lock(hashtext('notification_feed'));
insert into "notification_feed" (user_id, notification_id) select * from unnest(:bench_helper_users::uuid[], :bench_helper_n2s::uuid[]);
select pg_notify('notification_feed', u) from unnest(:bench_helper_users::text[]) u;
COMMIT;

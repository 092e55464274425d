-- Every statement one POST /users (an admin inviting a user: name and email, the bench's scenario)
-- runs in the user database, as pg_stat_statements records them (bench/lib/statements.test.ts keeps
-- this true): the user's transaction (apps/user: the row, the invitation's email token replacing
-- any unused one, UserCreated and AccountEmailRequested in the outbox), then the relay's pass woken
-- by its commit: both rows by id, published one after the other (one aggregate), one update
-- (packages/core/src/outbox.ts relayCommitted; order-all-order.sql says more).
-- pgbench -D uid=<unused> -D user_subject=<subject> -D email_subject=<subject> -D payload=<\x...> -D headers=<json>
select gen_random_uuid() as bench_helper_user, gen_random_uuid() as bench_helper_e1, gen_random_uuid() as bench_helper_e2, md5(random()::text) as bench_helper_token, md5(random()::text) || '@bench.example.com' as bench_helper_email, now() as bench_helper_now, now() + interval '7 days' as bench_helper_expires \gset
BEGIN;
insert into "users" ("id", "name", "email", "phone", "created_at", "updated_at", "password_hash", "role", "email_verified_at", "pending_email", "version") values (:bench_helper_user, 'Bench User', :bench_helper_email, '', default, default, null, 'customer', default, default, default) returning "id", "name", "email", "phone", "created_at", "updated_at", "role", "email_verified_at", "pending_email", "version";
update "email_tokens" set "used_at" = :bench_helper_now where ("email_tokens"."user_id" = :bench_helper_user and "email_tokens"."purpose" = 'invitation' and "email_tokens"."used_at" is null);
insert into "email_tokens" ("token_hash", "user_id", "purpose", "email", "expires_at", "used_at") values (:bench_helper_token, :bench_helper_user, 'invitation', 'x@bench.example.com', :bench_helper_expires, default);
insert into "outbox" ("id", "event_id", "subject", "aggregate_id", "payload", "headers", "created_at", "published_at") values (default, :bench_helper_e1, :user_subject, :bench_helper_user, :payload, :headers, default, default) returning "id", "aggregate_id" \gset o1_
insert into "outbox" ("id", "event_id", "subject", "aggregate_id", "payload", "headers", "created_at", "published_at") values (default, :bench_helper_e2, :email_subject, :bench_helper_user, :payload, :headers, default, default) returning "id", "aggregate_id" \gset o2_
COMMIT;
select '{' || :o1_id || ',' || :o2_id || '}' as bench_helper_ids, '{' || :bench_helper_user || '}' as bench_helper_aggs, :o2_id as bench_helper_last \gset
BEGIN;
select "id", "event_id", "subject", "aggregate_id", "payload", "headers", "published_at" from "outbox" where "outbox"."id" = any(:bench_helper_ids) order by "outbox"."id" for update skip locked \aset relay_
select "id", "aggregate_id", "published_at" from "outbox" where ("outbox"."aggregate_id" = any(:bench_helper_aggs) and "outbox"."id" < :bench_helper_last) \aset before_
update "outbox" set "published_at" = now() where "outbox"."id" = any(:bench_helper_ids);
COMMIT;

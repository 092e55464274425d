-- GET /users/{id} as the user service runs it (apps/user/src/repository.ts findUser, Drizzle's SQL).
-- pgbench -D id=<uuid>
select "id", "name", "email", "phone", "created_at", "updated_at" from "users" where "users"."id" = :id;

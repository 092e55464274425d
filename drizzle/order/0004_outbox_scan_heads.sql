DROP INDEX "outbox_unpublished_idx";--> statement-breakpoint
DROP INDEX "outbox_published_at_idx";--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "outbox" USING btree ("aggregate_id","id") WHERE "outbox"."published_at" is null;--> statement-breakpoint
CREATE INDEX "outbox_published_at_idx" ON "outbox" USING btree ("published_at") WHERE "outbox"."published_at" is not null;
DROP INDEX "outbox_unpublished_aggregate_idx";--> statement-breakpoint
CREATE INDEX "outbox_aggregate_idx" ON "outbox" USING btree ("aggregate_id","id");
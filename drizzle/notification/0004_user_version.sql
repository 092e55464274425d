-- The user version a recipient's copy is from, so that an older event retried after a newer one
-- leaves the copy alone. Copies from before have 0 (any versioned event replaces them); those of
-- deleted users get the deleted mark (repository.ts, DELETED_VERSION), so nothing writes them again.
ALTER TABLE "recipients" ADD COLUMN "version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE "recipients" SET "version" = 2147483647 WHERE "deleted_at" IS NOT NULL;--> statement-breakpoint
-- When a deleted user's data was last erased. Null for every row here, so the deliverer's next
-- passes erase every deleted user once more, including what was recorded after an erasure.
ALTER TABLE "recipients" ADD COLUMN "erased_at" timestamp with time zone;

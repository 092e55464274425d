-- The highest feed id of each user that pruning removed (repository.ts, pruneFeed), so that a
-- stream resuming from an older cursor says the client lost changes. Prunes before this migration
-- were not recorded: a cursor they passed goes on as before, without that word.
CREATE TABLE "notification_feed_pruned" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"through" bigint NOT NULL
);

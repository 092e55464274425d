-- The newest user event applied to a recipient's copy, so that an older event retried after a newer
-- one leaves the copy alone. Rows from before have none: the next event of their user writes it.
ALTER TABLE "recipients" ADD COLUMN "event_id" uuid;

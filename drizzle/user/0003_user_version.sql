-- Each user's version, counted by every write under the row lock; the user's events carry it
-- (Envelope.aggregate_version), so consumers that keep a copy can tell an older event from a newer.
ALTER TABLE "users" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;

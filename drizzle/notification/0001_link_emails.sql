ALTER TABLE "notifications" ADD COLUMN "to_address" text;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "sealed_token" "bytea";
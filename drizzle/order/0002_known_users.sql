CREATE TABLE "known_users" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"known_at" timestamp with time zone DEFAULT now() NOT NULL
);

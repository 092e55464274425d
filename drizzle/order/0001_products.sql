CREATE TABLE "products" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"unit_price" bigint NOT NULL,
	"currency" text NOT NULL,
	CONSTRAINT "products_unit_price_range" CHECK ("products"."unit_price" between 0 and 100000000),
	CONSTRAINT "products_currency_iso4217" CHECK ("products"."currency" ~ '^[A-Z]{3}$')
);
--> statement-breakpoint
-- The sample catalog (hand-written, after the generated table): product 456 is the system
-- description's example order. Plain rows: a deployment updates, adds or deletes its own with SQL.
INSERT INTO "products" ("id", "name", "unit_price", "currency") VALUES
	('123', 'Ballpoint pen', 150, 'USD'),
	('456', 'Notebook', 1250, 'USD'),
	('789', 'Coffee mug', 899, 'USD'),
	('1001', 'Desk lamp', 3499, 'USD'),
	('2001', 'Espresso cup', 700, 'EUR')
ON CONFLICT ("id") DO NOTHING;

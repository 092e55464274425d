-- Link emails whose deliveries have all ended keep no sealed token. The deliverer now clears a
-- token in the transaction that ends its last delivery; before, a separate statement after that
-- transaction did, and a crash between the two left the token behind. This clears those, once.
UPDATE "notifications" n SET "sealed_token" = NULL
WHERE n."sealed_token" IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM "deliveries" d WHERE d."notification_id" = n."id" AND d."status" = 'pending');

import { expect, test } from "bun:test";
import { emailKeyConfig, seal, unseal } from "./sealed.ts";

const key = emailKeyConfig({ AUTH_EMAIL_KEY: Buffer.alloc(32, 7).toString("base64") });

test("a sealed token opens with its key and context only, and does not show the token", async () => {
  const sealed = await seal(key, "the-token", "user-1:password_reset");
  expect(Buffer.from(sealed).toString("latin1")).not.toContain("the-token");
  expect(await unseal(key, sealed, "user-1:password_reset")).toBe("the-token");
  await expect(unseal(key, sealed, "user-2:password_reset")).rejects.toThrow();
  await expect(unseal(key, sealed, "user-1:invitation")).rejects.toThrow();
  await expect(unseal(emailKeyConfig({}), sealed, "user-1:password_reset")).rejects.toThrow();
  const tampered = Buffer.from(sealed);
  tampered[20]! ^= 1;
  await expect(unseal(key, tampered, "user-1:password_reset")).rejects.toThrow();
});

test("AUTH_EMAIL_KEY: 32 bytes; required in production", () => {
  expect(() => emailKeyConfig({ AUTH_EMAIL_KEY: "c2hvcnQ=" })).toThrow("32 bytes");
  expect(() => emailKeyConfig({ NODE_ENV: "production" })).toThrow("required in production");
  expect(emailKeyConfig({}).length).toBe(32);
});

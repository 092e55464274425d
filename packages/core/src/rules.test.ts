import { describe, expect, test } from "bun:test";
import { status } from "@grpc/grpc-js";
import { AppError } from "./errors.ts";
import { checkCurrency, checkEmail, checkId, checkName, checkPageSize, checkPhone, LIMITS, pageToken } from "./rules.ts";

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(status.INVALID_ARGUMENT);
    return (err as AppError).message;
  }
  throw new Error("expected an INVALID_ARGUMENT error");
}

describe("input rules", () => {
  test("names are trimmed, non-empty and bounded", () => {
    expect(checkName("  Ada  ")).toBe("Ada");
    expect(message(() => checkName("   "))).toBe("name must not be empty");
    expect(checkName("x".repeat(LIMITS.nameMax))).toHaveLength(LIMITS.nameMax);
    expect(message(() => checkName("x".repeat(LIMITS.nameMax + 1)))).toContain(`at most ${LIMITS.nameMax}`);
  });

  test("emails must look like addresses", () => {
    expect(checkEmail(" john@example.com ")).toBe("john@example.com");
    for (const bad of ["john", "john@", "@example.com", "john@example", "jo hn@example.com", "john@@example.com"]) {
      expect(message(() => checkEmail(bad))).toContain("is not a valid address");
    }
    expect(message(() => checkEmail(`${"a".repeat(250)}@example.com`))).toContain("at most 254");
  });

  test("phones are E.164, and empty means none", () => {
    expect(checkPhone("")).toBe("");
    expect(checkPhone("+1 (415) 555-0123")).toBe("+14155550123");
    expect(message(() => checkPhone("0415 555 0123"))).toContain("E.164");
  });

  test("ids are UUIDs, compared in lower case", () => {
    expect(checkId("id", "01A21D51-F169-778C-A651-6ED199F678B0")).toBe("01a21d51-f169-778c-a651-6ed199f678b0");
    expect(message(() => checkId("user_id", "123"))).toBe('user_id must be a UUID, got "123"');
  });

  test("currencies are ISO 4217 codes", () => {
    expect(checkCurrency("EUR")).toBe("EUR");
    expect(message(() => checkCurrency("eur"))).toContain("ISO 4217");
  });

  test("page sizes default, and are capped", () => {
    expect(checkPageSize(0)).toBe(LIMITS.pageSizeDefault);
    expect(checkPageSize(LIMITS.pageSizeMax)).toBe(LIMITS.pageSizeMax);
    expect(message(() => checkPageSize(LIMITS.pageSizeMax + 1))).toContain(`from 1 to ${LIMITS.pageSizeMax}`);
    expect(message(() => checkPageSize(-1))).toContain("page_size");
  });

  test("page tokens round-trip and refuse garbage", () => {
    const id = "01a21d51-f169-778c-a651-6ed199f678b0";
    expect(pageToken.decode(pageToken.encode(id))).toBe(id);
    expect(pageToken.decode("")).toBeUndefined();
    expect(message(() => pageToken.decode("not-a-token"))).toContain("page_token is not valid");
  });
});

// Input rules of the domain, written once: services enforce them (gRPC callers included),
// the gateway declares them in its schemas so that REST callers get the same answer sooner.
import { invalid } from "./errors.ts";

export const LIMITS = {
  nameMax: 100,
  emailMax: 254,
  productIdMax: 64,
  quantityMax: 1000,
  itemsMax: 100,
  /** Largest unit price, in minor units: keeps every total far inside 2^53. */
  unitPriceMax: 100_000_000,
  reasonMax: 500,
  idempotencyKeyMax: 255,
  pageSizeDefault: 20,
  pageSizeMax: 100,
} as const;

// Pragmatic address check (what browsers use for <input type=email>), not full RFC 5322.
export const EMAIL_PATTERN =
  "^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$";
/** E.164: a plus, a country code, up to 15 digits. */
export const PHONE_PATTERN = "^\\+[1-9][0-9]{6,14}$";
export const CURRENCY_PATTERN = "^[A-Z]{3}$";
export const UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/** C0 controls (NUL and others) but tab, line feed and carriage return, and DEL: never valid in text the API stores. */
export const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

const email = new RegExp(EMAIL_PATTERN);
const phone = new RegExp(PHONE_PATTERN);
const currency = new RegExp(CURRENCY_PATTERN);
const uuid = new RegExp(UUID_PATTERN);

export function checkId(field: string, value: string): string {
  if (!uuid.test(value)) throw invalid(`${field} must be a UUID, got "${clip(value)}"`);
  return value.toLowerCase();
}

/** Text a service stores: refused with a 400 if it holds control characters (PostgreSQL refuses NUL with an error). */
export function checkText(field: string, value: string): string {
  if (CONTROL_CHARACTERS.test(value)) throw invalid(`${field} must not contain control characters`);
  return value;
}

export function checkName(value: string): string {
  const name = checkText("name", value).trim();
  if (name.length === 0) throw invalid("name must not be empty");
  if (name.length > LIMITS.nameMax) throw invalid(`name must be at most ${LIMITS.nameMax} characters`);
  return name;
}

export function checkEmail(value: string): string {
  const address = value.trim();
  if (address.length > LIMITS.emailMax) throw invalid(`email must be at most ${LIMITS.emailMax} characters`);
  if (!email.test(address)) throw invalid(`email "${clip(address)}" is not a valid address`);
  return address;
}

/** An empty phone means "none". */
export function checkPhone(value: string): string {
  const number = value.replace(/[\s()-]/g, "");
  if (number !== "" && !phone.test(number)) throw invalid(`phone "${clip(value)}" must be in E.164 form, e.g. +14155550123`);
  return number;
}

export function checkCurrency(value: string): string {
  if (!currency.test(value)) throw invalid(`currency must be a three-letter ISO 4217 code such as "USD", got "${clip(value)}"`);
  return value;
}

export function checkPageSize(value: number): number {
  if (value === 0) return LIMITS.pageSizeDefault;
  if (!Number.isInteger(value) || value < 1 || value > LIMITS.pageSizeMax) {
    throw invalid(`page_size must be from 1 to ${LIMITS.pageSizeMax}`);
  }
  return value;
}

/** Page tokens are the last id of the previous page, base64url-encoded: opaque to clients. */
export const pageToken = {
  encode: (lastId: string) => Buffer.from(lastId).toString("base64url"),
  decode(token: string): string | undefined {
    if (token === "") return undefined;
    const id = Buffer.from(token, "base64url").toString();
    if (!uuid.test(id)) throw invalid("page_token is not valid; use next_page_token from a previous page");
    return id;
  },
};

/**
 * One page of a list ordered newest first (ids are UUIDv7): fetches one row more than asked, to
 * know whether another page follows, and hands back the token that starts it.
 */
export async function page<T extends { id: string }>(
  pageSize: number,
  token: string,
  fetch: (limit: number, before: string | undefined) => Promise<T[]>,
): Promise<{ items: T[]; nextPageToken: string }> {
  const limit = checkPageSize(pageSize);
  const rows = await fetch(limit + 1, pageToken.decode(token));
  const items = rows.slice(0, limit);
  return { items, nextPageToken: rows.length > limit ? pageToken.encode(items.at(-1)!.id) : "" };
}

function clip(value: string): string {
  return value.length > 60 ? `${value.slice(0, 60)}…` : value;
}

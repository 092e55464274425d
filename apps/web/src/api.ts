// The one way this app talks to the system: the typed client (@evented/client) on the page's own
// origin, with the session's tokens (kept in memory only: a reload asks to log in again).
import { createClient, createSession } from "@evented/client";

export const session = createSession(location.origin);
export const api = createClient(location.origin, { token: session.token, refresh: session.refresh });

/** The API's one error body, `{"error":{"code","message","request_id"}}`, with the HTTP status. */
export interface ApiError {
  status: number;
  code: string;
  message: string;
  request_id?: string;
}

export class ApiFailure extends Error {
  constructor(readonly body: ApiError) {
    super(body.message);
  }
}

interface Answer<T> {
  data: T | null;
  error: { status: unknown; value: unknown } | null;
}

/** The answer's data, or an ApiFailure carrying the error body (or what the transport said). */
export function ok<T>(res: Answer<T>): T {
  if (!res.error) return res.data as T;
  throw failure(typeof res.error.status === "number" ? res.error.status : 0, res.error.value);
}

export function failure(status: number, value: unknown): ApiFailure {
  const body = (value as { error?: Partial<ApiError> } | null)?.error;
  if (body?.code && body.message) return new ApiFailure({ status, code: body.code, message: body.message, request_id: body.request_id });
  return new ApiFailure({ status, code: "UNAVAILABLE", message: status ? `the server answered ${status}` : "the server cannot be reached; try again" });
}

/**
 * Which field an error is about: a 400's message lists each broken rule by its field ("invalid body:
 * email must be a valid email address; password must be 8 to 256 characters"), and a 409 names
 * what conflicts ("a user with this email already exists"). Anything else is about the whole form.
 */
export function errorsByField(err: ApiError, fields: readonly string[]): { form?: string; fields: Record<string, string> } {
  const out: { form?: string; fields: Record<string, string> } = { fields: {} };
  if (err.status !== 400 && err.status !== 409) return { form: err.message, fields: {} };
  const parts = err.message.replace(/^invalid \w+: /, "").split("; ");
  for (const part of parts) {
    const field = fields.find((f) => new RegExp(`(^|[^\\w])${f}([^\\w]|$)`).test(part));
    if (field) out.fields[field] = out.fields[field] ? `${out.fields[field]}; ${part}` : part;
    else out.form = out.form ? `${out.form}; ${part}` : part;
  }
  return out;
}

/** Minor units as money: 2500 USD is $25.00. */
export const money = (minor: number, currency = "USD") => new Intl.NumberFormat("en", { style: "currency", currency }).format(minor / 100);
export const shortId = (id: string) => id.slice(-8);
export const when = (iso: string) => new Date(iso).toLocaleString();

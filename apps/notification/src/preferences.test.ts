import { expect, test } from "bun:test";
import { KINDS } from "./messages.ts";
import { checkChange, matrix, switchedOff } from "./preferences.ts";

test("the matrix is every kind on every channel it uses, enabled unless switched off", () => {
  const m = matrix([{ kind: "order_confirmation", channel: "email", enabled: false }]);
  expect(m).toHaveLength(Object.values(KINDS).flat().length);
  expect(m.filter((p) => !p.enabled)).toEqual([{ kind: "order_confirmation", channel: "email", enabled: false, locked: false }]);
});

test("a locked kind shows enabled even if a stored row says otherwise, and is never switched off", () => {
  expect(matrix([{ kind: "password_reset", channel: "email", enabled: false }]).find((p) => p.kind === "password_reset")).toEqual({
    kind: "password_reset",
    channel: "email",
    enabled: true,
    locked: true,
  });
  expect(switchedOff("password_reset", ["email"], [{ channel: "email", enabled: false }])).toEqual(new Set());
});

test("switchedOff: the message's channels the user turned off, no others", () => {
  const off = [
    { channel: "email", enabled: false },
    { channel: "push", enabled: true },
  ];
  expect(switchedOff("order_confirmation", ["email", "push"], off)).toEqual(new Set(["email"]));
});

test("checkChange refuses unknown kinds (inherited names too), channels a kind is not sent on, a cell given twice, and switching off a locked kind", () => {
  expect(checkChange([{ kind: "welcome", channel: "email", enabled: false }])).toEqual([{ kind: "welcome", channel: "email", enabled: false }]);
  expect(() => checkChange([{ kind: "spam", channel: "email", enabled: false }])).toThrow("unknown kind");
  expect(() => checkChange([{ kind: "welcome", channel: "sms", enabled: false }])).toThrow("not sent by sms");
  expect(() => checkChange([{ kind: "verify_email", channel: "email", enabled: false }])).toThrow("cannot be switched off");
  expect(checkChange([{ kind: "verify_email", channel: "email", enabled: true }])).toHaveLength(1);
  expect(() => checkChange([{ kind: "constructor", channel: "email", enabled: false }])).toThrow("unknown kind");
  const twice = [true, false].map((enabled) => ({ kind: "order_confirmation", channel: "email", enabled }));
  expect(() => checkChange(twice)).toThrow("order_confirmation on email is given more than once");
  expect(checkChange([twice[0]!, { ...twice[0]!, channel: "push" }])).toHaveLength(2);
});

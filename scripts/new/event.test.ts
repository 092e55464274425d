// `bun scripts/new/event.ts order OrderShipped` in a copy of this checkout (its files as git sees
// them, installed from bun's cache): the contracts get the event, the generated code is up to
// date, and the typecheck fails exactly where every event must be handled, naming the new one.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

setDefaultTimeout(300_000);

const ROOT = new URL("../..", import.meta.url).pathname;
const copy = mkdtempSync(join(tmpdir(), "evented-new-event-"));

/** Runs `cmd` in the copy, killed after `timeoutMs`; its exit code and output. */
async function run(cmd: string[], timeoutMs = 180_000): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(cmd, { cwd: copy, env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  clearTimeout(timer);
  if (proc.signalCode) throw new Error(`${cmd.join(" ")} did not finish within ${timeoutMs} ms:\n${out}\n${err}`);
  return { code, out: out + err };
}

async function ok(cmd: string[]): Promise<string> {
  const { code, out } = await run(cmd);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited with ${code}:\n${out}`);
  return out;
}

beforeAll(async () => {
  const files = Bun.spawnSync(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT }).stdout.toString().split("\0");
  for (const file of files.filter(Boolean)) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(ROOT, file), join(copy, file), { dereference: false });
  }
  await ok(["bun", "install", "--frozen-lockfile"]);
});

afterAll(() => rmSync(copy, { recursive: true, force: true }));

test("new event order OrderShipped: in the contracts, generated, and a compile error only where every event must be handled, until it is", async () => {
  expect(await ok(["bun", "scripts/new/event.ts", "order", "OrderShipped"])).toContain("events.order.shipped");

  const proto = readFileSync(join(copy, "proto/events/v1/events.proto"), "utf8");
  expect(proto).toContain("    OrderCancelled order_cancelled = 32;\n    OrderShipped order_shipped = 33;\n");
  expect(proto).toContain("message OrderShipped {\n  string order_id = 1;\n  string user_id = 2;\n}\n");
  expect(readFileSync(join(copy, "packages/core/src/events.ts"), "utf8")).toContain('  orderShipped: { type: "OrderShipped", subject: "order.shipped" },\n');
  expect(readFileSync(join(copy, "packages/proto/src/gen/events/v1/events.ts"), "utf8")).toContain('{ $case: "orderShipped"; value: OrderShipped }');
  expect(await ok(["bun", "run", "proto:check"])).toContain("generated code is up to date");

  const typecheck = await run(["bun", "x", "tsc", "--noEmit", "-p", "."], 240_000);
  expect(typecheck.code).not.toBe(0);
  const failing = new Set([...typecheck.out.matchAll(/^([\w./-]+\.ts)\(\d+,\d+\): error/gm)].map((m) => m[1]));
  expect([...failing]).toEqual(["apps/notification/src/messages.ts"]);
  expect(typecheck.out).toContain("Property 'orderShipped' is missing");

  // Handled there (what the README's step says to write), it compiles.
  const messages = join(copy, "apps/notification/src/messages.ts");
  const source = readFileSync(messages, "utf8");
  const handled = source.replace(
    '    channels: ["email", ...sms],\n  }),\n};\n',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source code being written, template literals included
    '    channels: ["email", ...sms],\n  }),\n  orderShipped: (p, { hello }) => ({\n    userId: p.userId,\n    kind: "order_shipped",\n    subject: `Order ${p.orderId} shipped`,\n    body: `${hello}\\n\\nyour order ${p.orderId} is on its way.`,\n    channels: ["email"],\n  }),\n};\n',
  );
  expect(handled).not.toBe(source);
  writeFileSync(messages, handled);
  const fixed = await run(["bun", "x", "tsc", "--noEmit", "-p", "."], 240_000);
  expect({ code: fixed.code, out: fixed.out.slice(0, 2000) }).toEqual({ code: 0, out: expect.any(String) });

  // A second run refuses: the event exists.
  const again = await run(["bun", "scripts/new/event.ts", "order", "OrderShipped"]);
  expect(again.code).toBe(1);
  expect(again.out).toContain("OrderShipped exists already");
});

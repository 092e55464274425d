// `bun run new event <aggregate> <EventName>` (or `bun scripts/new/event.ts <aggregate> <EventName>`):
// adds an event to the contracts. The message goes into proto/events/v1/events.proto (with
// `<aggregate>_id` and `user_id`) and into the Envelope's oneof, at the next free tag of the
// aggregate's range (user 20-29, order 30-39, a new aggregate the next ten); `bun run proto`
// regenerates the code; EVENTS in packages/core/src/events.ts gets its type and subject
// (`<aggregate>.<what>`). What is left is a compile error at each place that must handle every
// event (the notification policy, apps/notification/src/messages.ts): `bun run typecheck` lists them.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;
const PROTO = "proto/events/v1/events.proto";
const EVENTS_TS = "packages/core/src/events.ts";

/** The generator; throws an Error saying what is wrong (bad arguments, the event exists, proto failed). */
export async function addEvent(args: string[]): Promise<void> {
  const [aggregate = "", name = "", ...extra] = args;
  if (extra.length || !/^[a-z][a-z0-9]*$/.test(aggregate) || !/^([A-Z][a-z0-9]+)+$/.test(name)) {
    throw new Error(
      "usage: bun run new event <aggregate> <EventName>, e.g. `bun run new event order OrderShipped` (aggregate in lower case, the event in PascalCase)",
    );
  }
  const field = snake(name); // order_shipped: the oneof field; ts-proto names its case orderShipped
  const key = name[0]!.toLowerCase() + name.slice(1);
  const prefix = `${aggregate}_`;
  const subject = `${aggregate}.${field.startsWith(prefix) ? field.slice(prefix.length) : field}`;

  const proto = read(PROTO);
  const events = read(EVENTS_TS);
  if (new RegExp(`^message ${name} \\{`, "m").test(proto) || new RegExp(`^\\s+${key}: \\{`, "m").test(events)) {
    throw new Error(`${name} exists already (${PROTO}, ${EVENTS_TS})`);
  }
  const taken = new RegExp(`subject: "${subject.replace(".", "\\.")}"`);
  if (taken.test(events)) throw new Error(`subject ${subject} is taken already (${EVENTS_TS})`);

  write(PROTO, withMessage(withOneofField(proto, aggregate, name, field), aggregate, name));
  write(EVENTS_TS, withEventsEntry(events, aggregate, key, name, subject));
  console.log(`new event: ${name} (${key}) on subject events.${subject}: ${PROTO}, ${EVENTS_TS}`);

  const proc = Bun.spawnSync(["bun", "run", "proto"], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  if (proc.exitCode !== 0) throw new Error(`bun run proto failed (exit ${proc.exitCode}); fix ${PROTO} and run it again`);
  console.log(`new event: code regenerated. Now:
  1. give ${name} the fields it needs in ${PROTO} (then \`bun run proto\`),
  2. publish it: outbox.add(tx, newEvent(SOURCE, id, { $case: "${key}", value: { ... } }, ctx)) in the service's transaction,
  3. \`bun run typecheck\` names every place that must handle it (the notification worker: apps/notification/src/messages.ts),
  4. add it to the README's table of events.`);
}

/** OrderShipped -> order_shipped */
const snake = (pascal: string) => pascal.replace(/(?<!^)([A-Z])/g, "_$1").toLowerCase();

const read = (file: string) => readFileSync(join(ROOT, file), "utf8");
const write = (file: string, text: string) => writeFileSync(join(ROOT, file), text);

/** The oneof gets `<Name> <field> = <tag>;`, after the aggregate's last event, at its range's next free tag. */
function withOneofField(proto: string, aggregate: string, name: string, field: string): string {
  const block = /^( *)oneof payload \{\n([\s\S]*?)^\1\}/m.exec(proto);
  if (!block) throw new Error(`${PROTO}: no \`oneof payload { ... }\` in the Envelope`);
  const entries = [...block[2]!.matchAll(/^([ \t]*)(\w+) (\w+) = (\d+);\n/gm)].map((m) => ({ line: m[0], indent: m[1]!, field: m[3]!, tag: Number(m[4]) }));
  if (entries.length === 0) throw new Error(`${PROTO}: the Envelope's oneof is empty`);
  const own = entries.filter((e) => e.field.startsWith(`${aggregate}_`));
  const highest = Math.max(...entries.map((e) => e.tag));
  let tag: number;
  let after: string;
  if (own.length) {
    const base = Math.floor(Math.min(...own.map((e) => e.tag)) / 10) * 10;
    tag = Math.max(...own.map((e) => e.tag)) + 1;
    if (tag >= base + 10) throw new Error(`${PROTO}: the ${aggregate} events' tags ${base}-${base + 9} are all taken`);
    after = own.at(-1)!.line;
  } else {
    tag = (Math.floor(highest / 10) + 1) * 10; // a new aggregate: the next range of ten
    after = entries.at(-1)!.line;
  }
  const entry = `${entries[0]!.indent}${name} ${field} = ${tag};\n`;
  const start = block.index + block[0].indexOf(after) + after.length;
  return proto.slice(0, start) + entry + proto.slice(start);
}

/** `message <Name> { string <aggregate>_id = 1; string user_id = 2; }` at the end of the file. */
function withMessage(proto: string, aggregate: string, name: string): string {
  const fields = aggregate === "user" ? ["user_id"] : [`${aggregate}_id`, "user_id"];
  const body = fields.map((f, i) => `  string ${f} = ${i + 1};\n`).join("");
  return `${proto.trimEnd()}\n\nmessage ${name} {\n${body}}\n`;
}

/** EVENTS gets `<key>: { type, subject },` after the aggregate's last entry (or at the end). */
function withEventsEntry(source: string, aggregate: string, key: string, name: string, subject: string): string {
  const block = /^export const EVENTS = \{\n([\s\S]*?)^\} as const/m.exec(source);
  if (!block) throw new Error(`${EVENTS_TS}: no \`export const EVENTS = { ... } as const\``);
  const lines = block[1]!.split("\n").filter(Boolean);
  const own = lines.filter((l) => l.includes(`subject: "${aggregate}.`));
  const after = own.at(-1) ?? lines.at(-1);
  if (!after) throw new Error(`${EVENTS_TS}: EVENTS is empty`);
  const indent = /^\s*/.exec(after)![0];
  const entry = `${indent}${key}: { type: "${name}", subject: "${subject}" },`;
  const at = block.index + block[0].indexOf(`${after}\n`) + after.length + 1;
  return `${source.slice(0, at) + entry}\n${source.slice(at)}`;
}

/** `bun run new event ...`: the generator, with a one-line message and exit 1 when it fails. */
export default async function run(args: string[]): Promise<void> {
  try {
    await addEvent(args);
  } catch (err) {
    console.error(`new event: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

if (import.meta.main) await run(Bun.argv.slice(2));

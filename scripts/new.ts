// `bun run new service <name>`, `bun run new remove-service <name>`, `bun run new event <aggregate> <EventName>`:
// the generators (scripts/new/*.ts), each run from the repository root.
import { existsSync } from "node:fs";

const GENERATORS: Record<string, { file: string; usage: string }> = {
  service: { file: "service.ts", usage: "bun run new service <name>            a gRPC service with its database, proto, test, Dockerfile and compose entry" },
  "remove-service": { file: "service.ts", usage: "bun run new remove-service <name>     undoes `new service <name>`" },
  event: { file: "event.ts", usage: "bun run new event <aggregate> <Name>  an event in the contracts, to be handled everywhere it must be" },
};

const [kind, ...args] = process.argv.slice(2);
const generator = GENERATORS[kind ?? ""];
if (!generator) {
  console.error(
    `usage:\n${Object.values(GENERATORS)
      .map((g) => `  ${g.usage}`)
      .join("\n")}`,
  );
  process.exit(64);
}
const file = new URL(`./new/${generator.file}`, import.meta.url).pathname;
if (!existsSync(file)) {
  console.error(`new ${kind}: its generator, scripts/new/${generator.file}, is not in this checkout.`);
  process.exit(69);
}
process.chdir(new URL("..", import.meta.url).pathname);
// A generator reads its arguments from process.argv as if run by itself (`bun scripts/new/<file> ...`),
// or exports `run(args)`.
const argv = kind === "remove-service" ? ["--remove", ...args] : args;
process.argv = [process.argv[0]!, file, ...argv];
const module = (await import(file)) as { run?: (args: string[]) => unknown; default?: unknown };
const entry = module.run ?? (typeof module.default === "function" ? (module.default as (args: string[]) => unknown) : undefined);
await entry?.(argv);

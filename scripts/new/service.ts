// `bun run new service <name>`: a working gRPC service (scripts/new/templates.ts): its proto and
// generated code, apps/<name>/ run by runService with a test against the real PostgreSQL, its
// Drizzle schema and first migration, .env.example, Dockerfile, compose entry (and its part in the
// NATS cluster of docker-compose.cluster.yml) and deploy env, its Kubernetes manifests (deploy/k8s:
// Deployment, role and database, policies, replicas, images), and its entry in system.ts (so the
// launcher, the harness, the checks and the gateway's /ready know it).
// `bun run new remove-service <name>` takes all of that out again.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { APPS, withDatabase } from "../../system.ts";
import { files, insertions, type Names, systemEntry } from "./templates.ts";

const SERVICES_END = "] as const satisfies readonly AppSpec[];";

/** A new service takes the port after the highest one; an existing one keeps its own. */
export function namesOf(n: string): Names {
  const own = APPS.find((a) => a.name === n)?.port.default;
  const port = own ?? Math.max(...APPS.filter((a) => a.kind !== "gateway").map((a) => a.port.default)) + 1;
  return { n, P: n[0]!.toUpperCase() + n.slice(1), N: n.toUpperCase(), port };
}

function fail(message: string): never {
  console.error(`new service: ${message}`);
  process.exit(64);
}

function sh(cmd: string[], cwd = ".") {
  console.log(`$ ${cmd.join(" ")}`);
  const run = Bun.spawnSync(cmd, { cwd, stdout: "inherit", stderr: "inherit" });
  if (run.exitCode !== 0) fail(`\`${cmd.join(" ")}\` exited with ${run.exitCode}`);
}

const edit = (file: string, change: (text: string) => string) => writeFileSync(file, change(readFileSync(file, "utf8")));

export function add(n: string) {
  if (!/^[a-z][a-z0-9]{1,29}$/.test(n)) fail(`"${n}" is not a name: lower-case letters and digits, starting with a letter (e.g. inventory)`);
  if (APPS.some((a) => a.name === n) || withDatabase().some((a) => a.database?.name === n) || existsSync(`apps/${n}`) || existsSync(`proto/${n}`))
    fail(`"${n}" exists already`);
  // Its name goes unquoted into YAML (compose, Kubernetes), where these words are not strings.
  if (/^(y|n|yes|no|on|off|true|false|null)$/.test(n)) fail(`"${n}" reads as a boolean or null in YAML: choose another name`);
  // Names the infrastructure has: compose services, the operators' NATS user, PostgreSQL's own databases.
  if (["postgres", "nats", "ops", "template0", "template1", "gateway"].includes(n)) fail(`"${n}" is taken by the infrastructure: choose another name`);
  // Its workspace is @evented/<name>: not one of the packages' (core, client, ...), e2e's or bench's.
  if (existsSync(`packages/${n}`) || ["e2e", "bench", "scripts"].includes(n)) fail(`"${n}" is the name of a workspace: choose another name`);
  const names = namesOf(n);
  // A file it would write that is there already (deploy/env/common.env for "common"...) is not its to overwrite.
  const taken = Object.keys(files(names)).filter((file) => existsSync(file));
  if (taken.length) fail(`"${n}" would overwrite ${taken.join(", ")}: choose another name`);
  if (!readFileSync("system.ts", "utf8").includes(SERVICES_END)) fail(`system.ts: cannot find the end of SERVICES ("${SERVICES_END}")`);
  // Every place an edit goes must be there before anything is written, or a failure halfway leaves
  // the tree half edited (a file reformatted by hand or by \`kustomize edit\`, say).
  for (const { file, before } of insertions(names))
    if (before !== undefined && !readFileSync(file, "utf8").includes(before)) fail(`${file}: cannot find "${before.trim()}" to add ${n} before it`);
  for (const [file, text] of Object.entries(files(names))) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    console.log(`created ${file}`);
  }
  for (const { file, text, before } of insertions(names)) {
    edit(file, (s) => {
      if (before === undefined) return s.endsWith("\n") ? s + text : `${s}\n${text}`;
      const at = s.indexOf(before); // there: checked above
      return s.slice(0, at) + text + s.slice(at);
    });
    console.log(`updated ${file}`);
  }
  edit("system.ts", (s) => {
    const at = s.indexOf(SERVICES_END); // there: checked above
    return s.slice(0, at) + systemEntry(names) + s.slice(at);
  });
  console.log("updated system.ts");
  sh(["bun", "install"]); // the new workspace, into bun.lock and node_modules
  sh(["bun", "run", "proto"]);
  sh(["bun", "--bun", "drizzle-kit", "generate", "--name", "init"], `apps/${n}`);
  // drizzle-kit may report an error and still exit 0
  if (!existsSync(`drizzle/${n}/0000_init.sql`)) fail(`drizzle-kit wrote no drizzle/${n}/0000_init.sql (see above)`);
  sh(["bun", "run", "format"]); // what it wrote, in the project's style (Biome)
  console.log(`\n${n}: ready. Next: bun run typecheck && bun test apps/${n} && bun run start`);
}

export function remove(n: string) {
  if (!APPS.some((a) => a.name === n) || !existsSync(`apps/${n}`)) fail(`no service "${n}" made by \`bun run new service\``);
  const names = namesOf(n);
  for (const dir of [`apps/${n}`, `proto/${n}`, `drizzle/${n}`, `packages/proto/src/gen/${n}`, `deploy/env/${n}.env`, `deploy/k8s/base/${n}.yaml`]) {
    rmSync(dir, { recursive: true, force: true });
    console.log(`removed ${dir}`);
  }
  const left: string[] = [];
  for (const { file, text } of insertions(names))
    edit(file, (s) => {
      if (!s.includes(text)) left.push(`${file}: ${text.trim().split("\n")[0]}`);
      return s.replace(text, "");
    });
  edit("system.ts", (s) => s.replace(removeEntry(s, n), ""));
  console.log("updated system.ts, the proto index, the compose files, deploy/ (compose and Kubernetes) and the gateway's .env.example");
  sh(["bun", "install"]);
  // Lines changed since they were added (an image tag set per release): named, for a hand to remove.
  if (left.length) console.warn(`not found as written, so left in place (remove by hand):\n  ${left.join("\n  ")}`);
}

/** The text of `{ name: "<n>", ... },` in system.ts, however it is formatted. */
function removeEntry(s: string, n: string): string {
  const name = s.search(new RegExp(`\\{\\s*name:\\s*"${n}"`));
  if (name < 0) fail(`system.ts has no entry for ${n}`);
  const start = s.lastIndexOf("\n", name) + 1;
  let depth = 0;
  for (let i = name; i < s.length; i++) {
    if (s[i] === "{") depth++;
    else if (s[i] === "}" && --depth === 0) {
      const end = s.indexOf("\n", i);
      return s.slice(start, end + 1);
    }
  }
  fail(`system.ts: the entry for ${n} does not close`);
}

if (import.meta.main || process.argv[1] === import.meta.path) {
  const args = process.argv.slice(2);
  const removing = args[0] === "--remove";
  const n = removing ? args[1] : args[0];
  if (!n) fail("usage: bun run new service <name>  |  bun run new remove-service <name>");
  if (removing) remove(n);
  else add(n);
}

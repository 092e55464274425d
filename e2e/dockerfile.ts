// Builds an image the way Docker would, without Docker: each stage is a folder standing for its
// /app, COPY honours .dockerignore, RUN runs here. Only the instructions our Dockerfiles use are
// understood; anything else fails loudly, so a Dockerfile cannot drift past this check unnoticed.
import { cpSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

export interface Image {
  /** The runtime stage's /app. */
  dir: string;
  env: Record<string, string>;
  user: string;
  cmd: string[];
  /** HEALTHCHECK's command, shell form. */
  healthcheck: string;
  /** Every `COPY <source>` from the build context, as written. */
  copied: string[];
  /** The EXPOSEd ports. */
  exposed: number[];
}

/** Splits a Dockerfile into instructions (comments dropped, `\` continuations joined). */
export function instructions(text: string): { op: string; args: string }[] {
  const joined = text.replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const [op = "", ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

function ignored(context: string): (path: string) => boolean {
  const file = join(context, ".dockerignore");
  const globs = existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"))
        .map((p) => new Bun.Glob(p))
    : [];
  // Docker excludes a path when it or any folder above it matches.
  return (path) => {
    const parts = path.split("/");
    return parts.some((_, i) => globs.some((g) => g.match(parts.slice(0, i + 1).join("/"))));
  };
}

export async function build(context: string, dockerfile: string, workdir: string): Promise<Image> {
  const isIgnored = ignored(context);
  const stages = new Map<string, string>();
  const image: Image = { dir: "", env: {}, user: "root", cmd: [], healthcheck: "", copied: [], exposed: [] };
  let cwd = "";

  for (const { op, args: rest } of instructions(readFileSync(join(context, dockerfile), "utf8"))) {
    switch (op) {
      case "ARG": // only used in FROM, which is not pulled here
        break;
      case "FROM": {
        const name = /\bAS\s+(\S+)/i.exec(rest)?.[1] ?? `stage${stages.size}`;
        image.dir = join(workdir, name);
        mkdirSync(image.dir, { recursive: true });
        stages.set(name, image.dir);
        image.env = {};
        image.user = "root";
        cwd = "";
        break;
      }
      case "WORKDIR":
        if (rest !== "/app") throw new Error(`WORKDIR ${rest}: only /app is emulated`);
        cwd = image.dir;
        break;
      case "ENV":
        for (const pair of rest.split(/\s+/)) {
          const [name = "", value = ""] = pair.split("=");
          image.env[name] = value;
        }
        break;
      case "COPY": {
        const words = rest.split(/\s+/);
        const from = words[0]?.startsWith("--from=") ? stages.get(words.shift()!.slice(7)) : undefined;
        const dest = words.pop()!;
        for (const source of words) {
          if (from) {
            const inApp = (path: string) => path === "/app" || path.startsWith("/app/");
            if (!inApp(source) || !inApp(dest)) throw new Error(`COPY --from ${source} ${dest}: only paths under /app are emulated`);
            cpSync(join(from, source.slice(4)), join(image.dir, dest.slice(4)), { recursive: true, verbatimSymlinks: true });
            continue;
          }
          image.copied.push(source);
          const src = join(context, source);
          if (!existsSync(src)) throw new Error(`${dockerfile}: COPY ${source}: no such file in the build context`);
          const target = dest.endsWith("/") || words.length > 1 ? join(cwd, dest, source.split("/").pop()!) : join(cwd, dest);
          mkdirSync(dirname(target), { recursive: true });
          if (isIgnored(source)) throw new Error(`${dockerfile}: COPY ${source}: excluded by .dockerignore`);
          cpSync(src, target, { recursive: true, filter: (path) => !isIgnored(relative(context, path)) });
        }
        break;
      }
      case "RUN": {
        const proc = Bun.spawn(["sh", "-c", rest], { cwd, env: { ...process.env, ...image.env }, stdout: "pipe", stderr: "pipe" });
        const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
        if (code !== 0) throw new Error(`${dockerfile}: RUN ${rest} exited with ${code}:\n${out}${err}`);
        break;
      }
      case "USER":
        image.user = rest;
        break;
      case "HEALTHCHECK":
        image.healthcheck = rest.replace(/^(--\S+\s+)*CMD\s+/, "");
        break;
      case "CMD":
        image.cmd = JSON.parse(rest);
        break;
      case "EXPOSE":
        image.exposed.push(...rest.split(/\s+/).map(Number));
        break;
      default:
        throw new Error(`${dockerfile}: ${op} is not emulated`);
    }
  }
  return image;
}

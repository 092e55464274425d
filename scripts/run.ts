// `bun run dev` (hot reload, readable logs) and `bun run start` (production: no watch, JSON logs):
// starts every app as its own process, prefixes its output, and stops them all together.
const APPS = ["user", "order", "notification", "gateway"] as const;
const COLORS = ["\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[32m"];

const mode = process.argv[2] === "dev" ? "dev" : "start";
const env = {
  ...process.env,
  LOG_FORMAT: process.env.LOG_FORMAT ?? (mode === "dev" ? "pretty" : "json"),
  NODE_ENV: process.env.NODE_ENV ?? (mode === "dev" ? "development" : "production"),
};

const children = APPS.map((app, i) => {
  const cmd = mode === "dev" ? ["bun", "--watch", `apps/${app}/src/main.ts`] : ["bun", `apps/${app}/src/main.ts`];
  const child = Bun.spawn(cmd, { env, stdout: "pipe", stderr: "pipe" });
  const tag = mode === "dev" ? `${COLORS[i]}${app.padEnd(12)}\x1b[0m| ` : "";
  void pipe(child.stdout, tag, process.stdout);
  void pipe(child.stderr, tag, process.stderr);
  void child.exited.then((code) => {
    if (stopping) return;
    console.error(`${app} exited with code ${code}`);
    if (mode === "start") stop(code || 1);
  });
  return child;
});

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(children.map((c) => c.exited));
  process.exit(code);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());

async function pipe(stream: ReadableStream<Uint8Array>, tag: string, out: NodeJS.WriteStream) {
  let rest = "";
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) out.write(`${tag}${line}\n`);
  }
  if (rest) out.write(`${tag}${rest}\n`);
}

import { type AppName, ROOT } from "./system.ts";

/** Starts an app with `env` and returns how it exited and what it printed, for bad-configuration tests. */
export async function runUntilExit(name: AppName, env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
  const proc = Bun.spawn(["bun", `apps/${name}/src/main.ts`], {
    cwd: ROOT,
    env: { ...process.env, LOG_FORMAT: "json", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, output: stdout + stderr };
}

/** Every environment variable `read` looks at, found by giving it an environment that records reads. */
export function variablesRead(read: (env: Record<string, string | undefined>) => unknown): string[] {
  const seen = new Set<string>();
  read(new Proxy({}, { get: (_, name) => void seen.add(String(name)) }));
  return [...seen].sort();
}

/** The variables an app's .env.example names, set or commented out (`NAME=` or `# NAME=`). */
export async function variablesDocumented(app: AppName): Promise<string[]> {
  const text = await Bun.file(`${ROOT}apps/${app}/.env.example`).text();
  return [...text.matchAll(/^(?:# ?)?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!).sort();
}

// Fails when packages/proto/src/gen is not what `bun run proto` generates from proto/.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const out = mkdtempSync(join(tmpdir(), "proto-check-"));
try {
  for (const cmd of [
    ["buf", "lint"],
    ["buf", "generate", "-o", out],
  ]) {
    const run = Bun.spawnSync(cmd, { stdout: "inherit", stderr: "inherit" });
    if (run.exitCode !== 0) process.exit(run.exitCode ?? 1);
  }
  const diff = Bun.spawnSync(["diff", "-r", join(out, "packages/proto/src/gen"), "packages/proto/src/gen"], {
    stdout: "inherit",
    stderr: "inherit",
  });
  if (diff.exitCode !== 0) {
    console.error("proto: generated code is stale; run `bun run proto` and commit the result.");
    process.exit(1);
  }
  console.log("proto: generated code is up to date.");
} finally {
  rmSync(out, { recursive: true, force: true });
}

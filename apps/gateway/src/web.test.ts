// The web app's routes in the gateway: the page at its paths with its own CSP and never cached, the
// hashed assets cached for good, a missing file the API's 404, and the API untouched beside them.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWeb } from "../../web/build.ts";
import { testGateway } from "../test/test-gateway.ts";
import { SECURITY_HEADERS } from "./headers.ts";
import { loadWebFiles, PAGE_PATHS, webFiles } from "./web.ts";

const files = new Map<string, Blob>([
  ["/index.html", new Blob(['<!doctype html><script type="module" src="/assets/index-abc.js"></script>'], { type: "text/html" })],
  ["/assets/index-abc.js", new Blob(["console.log(1)"], { type: "text/javascript;charset=utf-8" })],
]);
const gateway = () => testGateway().app.use(webFiles(async () => files));
const get = (path: string) => gateway().handle(new Request(`http://localhost${path}`));

test("the page at each of its paths: its own CSP (its own script and styles, calls to this origin), not cached", async () => {
  for (const path of PAGE_PATHS) {
    const res = await get(path);
    expect({ path, status: res.status, type: res.headers.get("content-type") }).toEqual({ path, status: 200, type: "text/html; charset=utf-8" });
    expect(await res.text()).toContain("/assets/index-abc.js");
    const csp = res.headers.get("content-security-policy") ?? "";
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toMatch(/unsafe|https?:|\*/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(name)).toBe(value);
  }
});

test("an asset is served with its type and cached for good; a missing one is the API's 404", async () => {
  const res = await get("/assets/index-abc.js");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("javascript");
  expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
  const missing = await get("/assets/nope.js");
  expect(missing.status).toBe(404);
  expect(await missing.json()).toMatchObject({ error: { code: "NOT_FOUND", message: "no file /assets/nope.js" } });
});

test("the API keeps its paths and its own CSP beside the page", async () => {
  const res = await get("/health");
  expect(await res.json()).toEqual({ status: "ok" });
  expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
});

test("a built folder and an in-memory build hold the same files: index.html and hashed assets only", async () => {
  const dir = mkdtempSync(join(tmpdir(), "web-"));
  try {
    await buildWeb(dir);
    const [fromDir, inMemory] = await Promise.all([loadWebFiles(dir), loadWebFiles()]);
    expect([...fromDir.keys()].sort()).toEqual([...inMemory.keys()].sort());
    for (const path of fromDir.keys()) expect(path).toMatch(/^\/(index\.html|assets\/[\w-]+-[a-z0-9]+\.(js|css))$/);
    const html = await fromDir.get("/index.html")!.text();
    // Nothing inline: the page's CSP allows none.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a folder without index.html is refused with a message naming it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "web-"));
  try {
    await expect(loadWebFiles(dir)).rejects.toThrow(`no index.html in the web app's build (WEB_DIR=${dir})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

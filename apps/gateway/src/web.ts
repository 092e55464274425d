// The web app (apps/web) on the API's own origin, so the browser needs no CORS and the API keeps its
// paths. Three ways, one page: `bun run dev` serves apps/web/src through Bun's dev server (bundled
// on request, hot module reloading); a built folder (WEB_DIR, what the image ships) is served as it
// is; otherwise the app is built in memory on the first page request (`bun run start`, the tests).
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { notFound } from "@evented/core";
import { Elysia } from "elysia";

/**
 * The paths answered with the page. The app's own pages live after `#` (`/#/orders`), so no page
 * can shadow an API path; these are the pages the emailed links open (APP_URL/verify-email#token=…).
 */
export const PAGE_PATHS = ["/", "/verify-email", "/reset-password", "/accept-invitation"] as const;

/** The built files by URL path: /index.html and /assets/<name>-<hash>.<ext>. */
export type WebFiles = Map<string, Blob>;

/** Reads a built folder, or builds the app in memory (apps/web/build.ts, which the image leaves out). */
export async function loadWebFiles(dir?: string): Promise<WebFiles> {
  const files: WebFiles = new Map();
  if (dir) {
    for (const name of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (name.isFile()) files.set(`/${relative(dir, join(name.parentPath, name.name))}`, Bun.file(join(name.parentPath, name.name)));
    }
  } else {
    const { buildWeb } = await import("../../web/build.ts");
    for (const output of await buildWeb()) files.set(output.path.replace(/^\.\//, "/"), output);
  }
  if (!files.has("/index.html")) throw new Error(`no index.html in the web app's build${dir ? ` (WEB_DIR=${dir})` : ""}`);
  return files;
}

/**
 * Routes for the built app: the page at PAGE_PATHS, never cached (it names the current assets), and
 * the assets, cached for good (their names change with their content). The security headers of the
 * gateway apply (headers.ts gives the page its own CSP).
 */
export function webFiles(load: () => Promise<WebFiles>) {
  let files: Promise<WebFiles> | undefined;
  // Once: a failed load is tried again on the next request.
  const get = () => {
    files ??= load().catch((err) => {
      files = undefined;
      throw err;
    });
    return files;
  };
  const page = async () => new Response((await get()).get("/index.html"), { headers: { "content-type": "text/html; charset=utf-8" } });
  const app = new Elysia({ name: "web" }).get(
    "/assets/*",
    async ({ params, request, set }) => {
      const file = (await get()).get(`/assets/${params["*"]}`);
      if (!file) throw notFound(`no file ${new URL(request.url).pathname}`);
      set.headers["cache-control"] = "public, max-age=31536000, immutable";
      return new Response(file, { headers: { "content-type": file.type } });
    },
    { detail: { hide: true } },
  );
  for (const path of PAGE_PATHS) app.get(path, page, { detail: { hide: true } });
  return app;
}

/**
 * For `new Elysia({ serve: await devServer() })`: the page at PAGE_PATHS as a Bun HTML import, which
 * Bun bundles and serves itself (with its /_bun/ assets and the hot-reload socket). Imported here
 * only, so a gateway that serves a build never reads apps/web's sources.
 */
export async function devServer() {
  const page = (await import("../../web/src/index.html")).default;
  return { routes: Object.fromEntries(PAGE_PATHS.map((p) => [p, page])), development: { hmr: true, console: true } };
}

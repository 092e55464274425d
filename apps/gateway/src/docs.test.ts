// The API reference page must work with no internet: a real browser loads /swagger from an
// in-process gateway, every request that leaves the gateway's origin is refused, and the page
// must still render the API's operations (which only the Scalar bundle can do).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createLogger } from "@evented/core";
import { type Browser, chromium } from "playwright-core";
import { fakeClients } from "../test/fake-clients.ts";
import { createApp } from "./app.ts";

// Chromium parses a 4 MB bundle on a shared CPU: allow it time.
setDefaultTimeout(120_000);

const app = createApp(fakeClients().clients, createLogger("gateway", { level: "silent" }));
let browser: Browser;
let origin: string;

beforeAll(async () => {
  app.listen({ hostname: "127.0.0.1", port: 0 });
  origin = `http://127.0.0.1:${app.server!.port}`;
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});
afterAll(async () => {
  await browser?.close();
  await app.stop();
});

test("/swagger renders the API's operations using only what the gateway serves", async () => {
  const page = await browser.newPage();
  const outside: string[] = [];
  const failed: string[] = [];
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    outside.push(url);
    return route.abort("internetdisconnected");
  });
  page.on("requestfailed", (r) => failed.push(r.url()));

  const res = await page.goto(`${origin}/swagger`);
  expect(res?.status()).toBe(200);

  // Operation summaries from /swagger/json, rendered by the bundle (the first tag's group is open).
  for (const summary of ["Create a user", "Delete a user", "List what a user was told, newest first"]) {
    await page.getByText(summary, { exact: true }).first().waitFor({ state: "attached", timeout: 90_000 });
  }
  expect(failed).toEqual([]);
  expect(outside).toEqual([]);
  await page.close();
});

test("the bundle is served by the gateway as JavaScript", async () => {
  const res = await fetch(`${origin}/swagger/scalar.js`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("javascript");
  expect((await res.text()).length).toBeGreaterThan(100_000);
});

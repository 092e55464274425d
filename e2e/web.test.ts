// The web app in Debian's Chromium against the whole system: a customer signs up, confirms the
// address through the emailed link, logs in, orders, and sees it happen live; an admin ships the
// order from the admin pages; the feed survives a gateway restart without losing or repeating a
// notification. Then the page at phone width, labels and names for every control, and screenshots
// of the main pages (docs/screenshots/, shown in the README). Last, an admin replays and discards
// real dead letters from the Operations page, which a customer cannot open.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { connectService, orderStatusToProto } from "@evented/core";
import { orderV1 } from "@evented/proto";
import { publishUndecodable, refuseRecipient, type System, signUp, startSystem, testEmail, waitFor } from "@evented/testing";
import { type Browser, chromium, type Page } from "playwright-core";
import postgres from "postgres";
import { startSmtpReceiver } from "../apps/notification/test/receivers.ts";

// A browser and the whole system on two shared cores: generous, and never a timing assertion.
setDefaultTimeout(180_000);
const WAIT = { timeout: 60_000 };
const WAIT_MS = { timeoutMs: 60_000 };
const SHOTS = new URL("../docs/screenshots/", import.meta.url).pathname;
/** The links' origin in the emails; the test opens the same path on the gateway. */
const APP_URL = "http://shop.test";

let system: System;
let browser: Browser;
const smtp = await startSmtpReceiver();
const customer = { name: "Ada Lovelace", email: testEmail("ada"), password: "correct horse battery staple" };
let customerPage: Page;
let orderId = "";

beforeAll(async () => {
  system = await startSystem({
    env: {
      notification: {
        SMTP_URL: smtp.url,
        EMAIL_FROM: "Shop <notifications@shop.example>",
        NOTIFICATION_DELIVERY_POLL_MS: "200",
        APP_URL,
        NOTIFICATION_MAX_ATTEMPTS: "2", // the operations tests' refused event is dead-lettered in a second, not a minute
      },
    },
  });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await system?.stop();
  await smtp.close();
});

/** A page that fails the test on a script error, a CSP violation, or a request off the gateway's origin. */
async function openPage(width = 1100): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(system.gatewayUrl) || url.startsWith("data:")) return route.continue();
    problems.push(`off-origin request: ${url}`);
    return route.abort("blockedbyclient");
  });
  Object.assign(page, { problems });
  return page;
}
const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;

async function logIn(page: Page, email: string, password: string) {
  await page.goto(`${system.gatewayUrl}/#/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor(WAIT);
}

const menu = (page: Page, name: string) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });

/** Marks the document: the mark is gone after a reload, so "still there" means nothing reloaded. */
const markDocument = (page: Page) => page.evaluate("window.notReloaded = true");
const stillTheSameDocument = (page: Page) => page.evaluate("window.notReloaded === true");

describe("a customer's first order, live", () => {
  test("sign up: an error from the API is shown at its field, then the account is made", async () => {
    const page = await openPage();
    await page.goto(`${system.gatewayUrl}/#/signup`);
    await page.getByLabel("Name").fill(customer.name);
    await page.getByLabel("Email").fill(customer.email);
    await page.getByLabel("Password").fill("short");
    // The browser's own checks are off for this one: the API's answer is what is shown.
    await page.locator("form").evaluate((f) => f.setAttribute("novalidate", ""));
    await page.getByRole("button", { name: "Sign up" }).click();
    const passwordError = page.getByLabel("Password").locator("xpath=..").getByRole("alert");
    await expect(passwordError.textContent(WAIT)).resolves.toContain("password must be 8 to 256 characters");
    await expect(page.getByLabel("Password").getAttribute("aria-invalid")).resolves.toBe("true");
    await shoot(page, "sign-up-error");

    await page.getByLabel("Password").fill(customer.password);
    await page.getByRole("button", { name: "Sign up" }).click();
    await page.getByRole("status").filter({ hasText: customer.email }).waitFor(WAIT);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  test("the emailed link confirms the address", async () => {
    const mail = await waitFor(
      "the verification email",
      () => smtp.received.find((m) => m.to.includes(customer.email) && m.mail.subject === "Confirm your email address"),
      { timeoutMs: 60_000 },
    );
    const link = new RegExp(`${APP_URL}(/verify-email#token=[\\w%-]+)`).exec(mail.mail.text ?? "")?.[1];
    expect(link).toBeDefined();
    const page = await openPage();
    await page.goto(`${system.gatewayUrl}${link}`);
    await page.getByRole("status").filter({ hasText: "Your email address is confirmed" }).waitFor(WAIT);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  test("logs in, orders from the catalog, and the confirmation appears in the feed without a reload", async () => {
    customerPage = await openPage();
    const page = customerPage;
    await logIn(page, customer.email, customer.password);
    await menu(page, "Shop").click();
    const quantity = page.getByLabel(/^Quantity of /).first();
    await quantity.waitFor(WAIT);
    await quantity.fill("2");
    await shoot(page, "shop");
    await markDocument(page);
    await page.getByRole("button", { name: "Place order" }).click();
    const placed = page.getByRole("status").filter({ hasText: "is placed" });
    await placed.waitFor(WAIT);

    await menu(page, "Notifications").click();
    await page.locator('[data-kind="order_confirmation"]').waitFor(WAIT);
    expect(await stillTheSameDocument(page)).toBe(true);
    await shoot(page, "notifications");

    await menu(page, "My orders").click();
    const order = page.getByRole("listitem").filter({ has: page.getByRole("button", { name: /^Cancel order / }) });
    await order.waitFor(WAIT);
    const me = (await (await system.fetch(`${system.gatewayUrl}/users?page_size=100`)).json()) as { users: { id: string; email: string }[] };
    const id = me.users.find((u) => u.email === customer.email)!.id;
    const orders = (await (await system.fetch(`${system.gatewayUrl}/users/${id}/orders`)).json()) as { orders: { id: string }[] };
    expect(orders.orders).toHaveLength(1);
    orderId = orders.orders[0]!.id;
    await expect(order.textContent()).resolves.toContain(orderId.slice(-8));
    expect(problemsOf(page)).toEqual([]);
  });

  test("an admin confirms and ships it from the admin pages; the customer's page shows it live", async () => {
    const admin = await openPage();
    await logIn(admin, system.admin.email, system.admin.password);
    await menu(admin, "All orders").click();
    await admin.getByRole("button", { name: `Confirm order ${orderId.slice(-8)}` }).click(WAIT);
    await admin.getByRole("button", { name: `Ship order ${orderId.slice(-8)}` }).click(WAIT);
    await admin.getByRole("button", { name: `Complete order ${orderId.slice(-8)}` }).waitFor(WAIT);
    await shoot(admin, "admin-orders");
    expect(problemsOf(admin)).toEqual([]);
    await admin.close();

    // The customer's "My orders", open all along, says shipped without being reloaded.
    const page = customerPage;
    await page
      .getByRole("listitem")
      .filter({ hasText: orderId.slice(-8) })
      .getByText("shipped", { exact: true })
      .waitFor(WAIT);
    expect(await stillTheSameDocument(page)).toBe(true);
    await shoot(page, "my-orders");
  });

  test("the feed is cut by a gateway restart while the order completes; after it reconnects the missed notification is there once", async () => {
    const page = customerPage;
    await menu(page, "Notifications").click();
    await page.getByText("Live:", { exact: false }).waitFor(WAIT);
    const completed = page.locator(".card").filter({ hasText: `${orderId} is completed` });
    expect(await completed.count()).toBe(0);

    await system.kill("gateway");
    // The gateway is down: the change goes to the order service itself, and its notification is made.
    const orders = connectService(orderV1.OrderServiceClient, `127.0.0.1:${system.ports.order}`);
    try {
      await orders.updateOrderStatus({ id: orderId, status: orderStatusToProto("completed") }, { authorization: `Bearer ${system.admin.accessToken}` });
      await page.getByText("Reconnecting", { exact: false }).waitFor(WAIT);
    } finally {
      orders.close();
      await system.restart("gateway");
    }

    await completed.first().waitFor(WAIT);
    await page.getByText("Live:", { exact: false }).waitFor(WAIT);
    expect(await completed.count()).toBe(1);
    expect(await stillTheSameDocument(page)).toBe(true);
    expect(problemsOf(page).filter((p) => !p.startsWith("console"))).toEqual([]);
  });
});

test("the feed is cut before any event came (no cursor to resume from); after it reconnects the list is loaded again: the missed notification is there once", async () => {
  const someone = await signUp(system.gatewayUrl, { name: "Caroline Herschel" });
  const sql = postgres(system.databases.notification.url, { max: 1, onnotice: () => {} });
  // The sign-up's notifications and their deliveries, all done before the page opens: none of them comes on its stream.
  const settled = (...subjects: string[]) =>
    waitFor(
      `the deliveries of ${subjects.join(", ")} to end`,
      async () => {
        const rows = await sql`select n.subject, count(*) filter (where d.status = 'pending')::int as pending
        from notifications n join deliveries d on d.notification_id = n.id where n.user_id = ${someone.id} group by n.subject`;
        return subjects.every((subject) => rows.some((r) => r.subject === subject && r.pending === 0));
      },
      WAIT_MS,
    );
  const lastFeedId = async () => (await sql`select coalesce(max(id), 0)::bigint as id from notification_feed where user_id = ${someone.id}`)[0]!.id as string;
  const orders = connectService(orderV1.OrderServiceClient, `127.0.0.1:${system.ports.order}`);
  let page: Page | undefined;
  try {
    await settled("Welcome aboard", "Confirm your email address");
    const before = await lastFeedId();
    page = await openPage();
    await logIn(page, someone.email, someone.password);
    await menu(page, "Notifications").click();
    await page.getByText("Live:", { exact: false }).waitFor(WAIT);
    await markDocument(page);

    await system.kill("gateway");
    let id = "";
    try {
      // The feed has nothing after what it had before the page opened: no event reached the page, it has no cursor.
      expect(await lastFeedId()).toBe(before);
      const { order } = await orders.createOrder(
        { userId: "", items: [{ productId: "456", quantity: 1 }], currency: "", idempotencyKey: "" },
        { authorization: `Bearer ${someone.accessToken}` },
      );
      id = order!.id;
      // Its deliveries ended too while the gateway was down: no delivery change of it comes after the reconnect.
      await settled(`Order ${id} received`);
      await page.getByText("Reconnecting", { exact: false }).waitFor(WAIT);
    } finally {
      await system.restart("gateway");
    }

    const received = page.locator(".card").filter({ hasText: `Order ${id} received` });
    await received.first().waitFor(WAIT);
    await page.getByText("Live:", { exact: false }).waitFor(WAIT);
    expect(await received.count()).toBe(1);
    expect(await stillTheSameDocument(page)).toBe(true);
    expect(problemsOf(page).filter((p) => !p.startsWith("console"))).toEqual([]);
  } finally {
    orders.close();
    await sql.end();
    await page?.close();
  }
});

test("a page away longer than the feed keeps changes is told so (a reset) and loads the list again: what was pruned shows", async () => {
  const someone = await signUp(system.gatewayUrl, { name: "Mary Somerville" });
  const page = await openPage();
  await logIn(page, someone.email, someone.password);
  await menu(page, "Notifications").click();
  await page.getByText("Live:", { exact: false }).waitFor(WAIT);
  // Ordered with the page open: its notification comes on the stream, whose id the page resumes from.
  const placed = await someone.fetch(`${system.gatewayUrl}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: someone.id, items: [{ product_id: "456", quantity: 1 }] }),
  });
  const { id } = (await placed.json()) as { id: string };
  await page
    .locator(".card")
    .filter({ hasText: `Order ${id} received` })
    .first()
    .waitFor(WAIT);
  await markDocument(page);

  await system.kill("gateway");
  const sql = postgres(system.databases.notification.url, { max: 1, onnotice: () => {} });
  const orders = connectService(orderV1.OrderServiceClient, `127.0.0.1:${system.ports.order}`);
  try {
    // While the page is away: a change, every feed entry of the user's then past the retention, and the prune.
    await orders.updateOrderStatus({ id, status: orderStatusToProto("confirmed") }, { authorization: `Bearer ${system.admin.accessToken}` });
    await waitFor(
      "the confirmation's deliveries to end",
      async () => {
        const [row] = await sql`select count(*) filter (where d.status = 'pending')::int as pending, count(*)::int as deliveries
        from notifications n join deliveries d on d.notification_id = n.id where n.user_id = ${someone.id} and n.subject = ${`Order ${id} is confirmed`}`;
        return row!.deliveries > 0 && row!.pending === 0;
      },
      WAIT_MS,
    );
    await sql`update notification_feed set created_at = now() - interval '8 days' where user_id = ${someone.id}`;
    await waitFor("the prune", async () => (await sql`select 1 from notification_feed where user_id = ${someone.id}`).length === 0, WAIT_MS);
  } finally {
    orders.close();
    await sql.end();
    await system.restart("gateway");
  }

  // The stream has none of it any more: only the list, loaded again on the reset, has the change.
  await page
    .locator(".card")
    .filter({ hasText: `Order ${id} is confirmed` })
    .first()
    .waitFor(WAIT);
  await page.getByText("Live:", { exact: false }).waitFor(WAIT);
  expect(await stillTheSameDocument(page)).toBe(true);
  expect(problemsOf(page).filter((p) => !p.startsWith("console"))).toEqual([]);
  await page.close();
});

describe("profile", () => {
  test("a customer renames themself, is told a bad phone number at its field, and deletes the account", async () => {
    const someone = await signUp(system.gatewayUrl, { name: "Grace Hopper" });
    const page = await openPage();
    await logIn(page, someone.email, someone.password);
    await menu(page, "Profile").click();
    await page.getByLabel("Name").fill("Grace Brewster Hopper");
    await page.getByLabel("Phone").fill("12345");
    await page.getByRole("button", { name: "Save" }).click();
    const phoneError = page.getByLabel("Phone").locator("xpath=..").getByRole("alert");
    await expect(phoneError.textContent(WAIT)).resolves.toContain("phone must be in E.164 form");
    await page.getByLabel("Phone").fill("");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor(WAIT);
    expect(await page.locator(".who").textContent()).toContain("Grace Brewster Hopper");

    await page.getByRole("button", { name: "Delete my account" }).click();
    await page.getByRole("button", { name: "Yes, delete my account" }).click();
    await page.getByRole("button", { name: "Log in" }).waitFor(WAIT);
    expect((await system.fetch(`${system.gatewayUrl}/users/${someone.id}`)).status).toBe(404);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });
});

describe("preferences", () => {
  test("a customer switches one kind and channel off; it stays off", async () => {
    const page = await openPage();
    await logIn(page, customer.email, customer.password);
    await menu(page, "Preferences").click();
    const push = page.getByLabel("order status by push", { exact: true });
    await push.waitFor(WAIT);
    expect(await push.isChecked()).toBe(true);
    await expect(page.getByLabel(/^verify email by email/).isDisabled()).resolves.toBe(true);
    await push.uncheck();
    await page.getByRole("button", { name: "Save preferences" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor(WAIT);
    await shoot(page, "preferences");
    await page.reload();
    await logIn(page, customer.email, customer.password);
    await menu(page, "Preferences").click();
    await page.getByLabel("order status by push", { exact: true }).waitFor(WAIT);
    expect(await page.getByLabel("order status by push", { exact: true }).isChecked()).toBe(false);
    expect(await page.getByLabel("order confirmation by push", { exact: true }).isChecked()).toBe(true);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });
});

describe("usable and accessible", () => {
  test("at phone width nothing is wider than the screen", async () => {
    const someone = await signUp(system.gatewayUrl, { password: customer.password });
    const page = await openPage(360);
    await logIn(page, someone.email, someone.password);
    for (const view of ["shop", "orders", "notifications", "profile"]) {
      await page.goto(`${system.gatewayUrl}/#/${view}`);
      await page.getByRole("heading", { level: 2 }).first().waitFor(WAIT);
      const overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
      expect({ view, overflow }).toEqual({ view, overflow: 0 });
      if (view === "notifications") await shoot(page, "phone-notifications");
    }
    await page.close();
  });

  test("every input has a label and every button a name, on every page", async () => {
    const page = await openPage();
    const views = ["login", "signup"];
    for (const view of views) await checkNames(page, `${system.gatewayUrl}/#/${view}`);
    await logIn(page, system.admin.email, system.admin.password);
    for (const view of ["shop", "orders", "notifications", "preferences", "profile", "admin/users", "admin/orders", "admin/ops"]) {
      await checkNames(page, `${system.gatewayUrl}/#/${view}`);
      if (view === "admin/ops") await page.getByRole("heading", { name: /^Readiness: / }).waitFor(WAIT);
      if (view.startsWith("admin/")) await shoot(page, view.replace("/", "-"));
    }
    await page.close();
  });
});

describe("operations", () => {
  interface DeadLetter {
    id: string;
    event_type: string;
    reason: string;
    replayed_at: string | null;
    discarded_at: string | null;
  }
  const deadLetters = async (all = false) =>
    ((await (await system.fetch(`${system.gatewayUrl}/admin/dead-letters${all ? "?all=true" : ""}`)).json()) as { dead_letters: DeadLetter[] }).dead_letters;
  /** A dead letter's card on the Operations page, by its id. */
  const card = (page: Page, id: string) =>
    page
      .getByRole("list", { name: "Dead letters" })
      .getByRole("listitem")
      .filter({ hasText: `(${id})` });
  const refusedName = `Refused ${crypto.randomUUID().slice(0, 8)}`;
  let refusal: Awaited<ReturnType<typeof refuseRecipient>>;
  // Two real dead letters of the notification worker: a new user's UserCreated it refuses until the
  // fix, and a message it can never decode.
  let refused: DeadLetter;
  let undecodable: DeadLetter;
  beforeAll(async () => {
    refusal = await refuseRecipient(system.databases.notification.url, refusedName);
    await signUp(system.gatewayUrl, { name: refusedName });
    await publishUndecodable(system);
    [refused, undecodable] = await waitFor(
      "both dead letters",
      async () => {
        const letters = await deadLetters();
        const r = letters.find((l) => l.event_type === "UserCreated" && l.reason.includes("recipient refused by the test"));
        const u = letters.find((l) => l.reason.startsWith("undecodable event"));
        return r && u && ([r, u] as const);
      },
      { timeoutMs: 60_000 },
    );
  });

  test("a customer gets no Operations page: no link, the address shows the shop, nothing asked of /admin", async () => {
    const someone = await signUp(system.gatewayUrl);
    const page = await openPage();
    const asked: string[] = [];
    page.on("request", (r) => asked.push(new URL(r.url()).pathname));
    await logIn(page, someone.email, someone.password);
    expect(await menu(page, "Operations").count()).toBe(0);
    // From another page, so the shop appearing means the address was read (a customer's unknown page is the shop).
    await menu(page, "Profile").click();
    await page.getByRole("heading", { name: "Profile", level: 2 }).waitFor(WAIT);
    await page.goto(`${system.gatewayUrl}/#/admin/ops`);
    await page.getByRole("heading", { name: "Shop", level: 2 }).waitFor(WAIT);
    expect(await page.getByRole("heading", { name: "Dead letters" }).count()).toBe(0);
    expect(await page.textContent("body")).not.toContain(undecodable.id);
    expect(asked.filter((p) => p.startsWith("/admin"))).toEqual([]);
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  test("an admin replays a dead letter: refused with the service's reason while the cause lasts, applied after the fix", async () => {
    const page = await openPage();
    await logIn(page, system.admin.email, system.admin.password);
    await menu(page, "Operations").click();
    await expect(card(page, refused.id).textContent(WAIT)).resolves.toContain(`Reason: ${refused.reason}`);
    await expect(card(page, undecodable.id).textContent(WAIT)).resolves.toContain(`Reason: ${undecodable.reason}`);

    const replay = (id: string) => page.getByRole("button", { name: `Replay dead letter ${id}`, exact: true }).click();
    await replay(undecodable.id);
    await page.getByRole("alert").filter({ hasText: "cannot be decoded" }).waitFor(WAIT);
    await replay(refused.id);
    await page.getByRole("alert").filter({ hasText: "failed again (recipient refused by the test); it keeps waiting" }).waitFor(WAIT);
    expect(await page.getByRole("status").count()).toBe(0);
    expect(await card(page, refused.id).count()).toBe(1);
    expect(await card(page, undecodable.id).count()).toBe(1);
    expect((await deadLetters()).map((l) => l.id)).toEqual(expect.arrayContaining([refused.id, undecodable.id]));

    await refusal.fix();
    await replay(refused.id);
    await page
      .getByRole("status")
      .filter({ hasText: `Dead letter ${refused.id} is replayed.` })
      .waitFor(WAIT);
    await card(page, refused.id).waitFor({ ...WAIT, state: "detached" });
    expect(await page.getByRole("alert").count()).toBe(0);
    expect((await deadLetters(true)).find((l) => l.id === refused.id)).toMatchObject({ replayed_at: expect.any(String), discarded_at: null });
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });

  test("an admin discards a dead letter: Keep it changes nothing, Yes discards it", async () => {
    const page = await openPage();
    await logIn(page, system.admin.email, system.admin.password);
    await menu(page, "Operations").click();
    const letter = card(page, undecodable.id);
    const discard = letter.getByRole("button", { name: `Discard dead letter ${undecodable.id}`, exact: true });
    await discard.click(WAIT);
    await letter.getByRole("button", { name: "Keep it", exact: true }).click();
    await discard.waitFor(WAIT); // asked no more, and still there
    expect(await letter.getByRole("button", { name: `Yes, discard dead letter ${undecodable.id}` }).count()).toBe(0);
    expect(await page.getByRole("status").count()).toBe(0);
    expect((await deadLetters()).map((l) => l.id)).toContain(undecodable.id);

    await discard.click();
    await letter.getByRole("button", { name: `Yes, discard dead letter ${undecodable.id}`, exact: true }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `Dead letter ${undecodable.id} is discarded.` })
      .waitFor(WAIT);
    await letter.waitFor({ ...WAIT, state: "detached" });
    expect((await deadLetters()).map((l) => l.id)).not.toContain(undecodable.id);
    expect((await deadLetters(true)).find((l) => l.id === undecodable.id)).toMatchObject({ replayed_at: null, discarded_at: expect.any(String) });
    expect(problemsOf(page)).toEqual([]);
    await page.close();
  });
});

async function checkNames(page: Page, url: string) {
  await page.goto(url);
  await page.getByRole("heading", { level: 2 }).first().waitFor(WAIT);
  await page.waitForLoadState("networkidle");
  // Each input found by its label (getByLabel uses the accessible name, as a screen reader does).
  for (const input of await page.locator("input").all()) {
    const id = await input.getAttribute("id");
    const label = id ? await page.locator(`label[for="${id}"]`).textContent() : null;
    expect({ url, input: await input.getAttribute("name"), label: Boolean(label?.trim()) }).toEqual({
      url,
      input: await input.getAttribute("name"),
      label: true,
    });
    expect(await page.getByLabel(label!, { exact: true }).count()).toBeGreaterThan(0);
  }
  // Each button found by role with its accessible name.
  for (const button of await page.getByRole("button").all()) {
    const name = (await button.getAttribute("aria-label")) ?? (await button.textContent())?.trim();
    expect({ url, name: Boolean(name) }).toEqual({ url, name: true });
    expect(await page.getByRole("button", { name: name!, exact: true }).count()).toBeGreaterThan(0);
  }
}

async function shoot(page: Page, name: string) {
  if (process.env.WEB_SCREENSHOTS === "1") await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

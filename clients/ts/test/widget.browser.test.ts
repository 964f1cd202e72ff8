// The page-rating widget in a real browser: Debian's Chromium, headless, driven by
// playwright-core. A page on another origin, with a strict Content-Security-Policy,
// embeds the widget with its integrity hash; the test uses it with the keyboard, checks
// what the hub recorded, that other origins are refused, and runs axe-core on every
// state. Skipped, saying why, where Chromium is missing or cannot start.
// CONTACTHUB_SCREENSHOTS=<dir> keeps a screenshot of each state (the README's are made so).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { freePort, startHub, type Hub } from "./hub.js";

const chromiumPath = process.env.CONTACTHUB_CHROMIUM ?? "/usr/bin/chromium";
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let hub: Hub;
let browser: Browser | undefined;
let skipReason = "";
const servers: Server[] = [];

// A council page: its own origin, a CSP that allows scripts and connections only to the
// hub and styles only from itself (no 'unsafe-inline', no 'unsafe-eval').
async function councilPage(hubUrl: string, integrity: string, port = 0): Promise<string> {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Council tax discounts</title>
<script src="${hubUrl}/widget/v1/page-rating.js" integrity="${integrity}" crossorigin="anonymous" defer></script></head>
<body><main><h1>Council tax discounts</h1><p>You may get 25% off if you live alone.</p>
<contacthub-page-rating></contacthub-page-rating></main></body></html>`;
  const csp = `default-src 'none'; script-src ${hubUrl}; connect-src ${hubUrl}; style-src 'self'; base-uri 'none'; form-action 'none'`;
  const server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": csp });
    res.end(html);
  });
  servers.push(server);
  await new Promise<void>((ok) => server.listen(port, "127.0.0.1", ok));
  const addr = server.address();
  if (!addr || typeof addr !== "object") throw new Error("no address");
  return `http://localhost:${addr.port}`;
}

async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; help: string; nodes: unknown[] }[] }> } }).axe;
    const r = await axe.run({ include: [["contacthub-page-rating"]] }, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    });
    return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
  });
  return found;
}

async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.CONTACTHUB_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.locator("contacthub-page-rating").screenshot({ path: resolve(dir, `page-rating-${name}.png`) });
}

// Where focus is inside the widget: the focused element's text or id.
async function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const host = document.activeElement;
    const el = host?.shadowRoot?.activeElement;
    return el ? `${el.tagName.toLowerCase()}#${el.id}:${(el.textContent ?? "").trim()}` : `outside:${host?.tagName}`;
  });
}

type RatingEvent = { pageUrl?: string; useful?: boolean; comment?: string };

// Follows the hub's live stream of rating.recorded events (opened before the rating is
// given: the stream carries what happens after it opens).
async function watchRatings(hubUrl: string, token: string) {
  const ctrl = new AbortController();
  const res = await fetch(`${hubUrl}/v1/events/stream?type=rating.recorded`, {
    headers: { Authorization: `Bearer ${token}` }, signal: ctrl.signal,
  });
  assert.equal(res.status, 200);
  let text = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    try {
      const reader = res.body!.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      // stopped
    }
  })();
  const events = (): RatingEvent[] => text.split("\n\n")
    .filter((m) => m.includes("event: rating.recorded"))
    .map((m) => JSON.parse(m.split("\n").find((l) => l.startsWith("data: "))!.slice(6)).data);
  return {
    events,
    async atLeast(n: number, ms = 10_000): Promise<RatingEvent[]> {
      const deadline = Date.now() + ms;
      while (events().length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      return events();
    },
    async stop() { ctrl.abort(); await reading; },
  };
}

describe("the page-rating widget in Chromium", () => {
  let allowedOrigin = "";
  let integrity = "";

  before(async () => {
    if (!existsSync(chromiumPath)) { skipReason = `no Chromium at ${chromiumPath} (apt-get install chromium, or set CONTACTHUB_CHROMIUM)`; return; }
    try {
      browser = await chromium.launch({
        executablePath: chromiumPath, headless: true,
        args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-default-apps", "--no-first-run", "--disable-dev-shm-usage"],
      });
    } catch (err) {
      skipReason = `Chromium at ${chromiumPath} cannot start here: ${String(err).split("\n")[0]}`;
      return;
    }
    // The page's origin is decided before the hub starts, so the hub can allow it.
    allowedOrigin = `http://localhost:${await freePort()}`;
    hub = await startHub({ CONTACTHUB_CORS_ORIGINS: allowedOrigin });
    const script = Buffer.from(await (await fetch(`${hub.baseUrl}/widget/v1/page-rating.js`)).arrayBuffer());
    integrity = "sha384-" + createHash("sha384").update(script).digest("base64");
    await councilPage(hub.baseUrl, integrity, Number(new URL(allowedOrigin).port));
  });

  after(async () => {
    await browser?.close();
    for (const s of servers) s.close();
    await hub?.stop();
  });

  it("is used with the keyboard from another origin under a strict CSP, records the answer without the query string, and passes axe in every state", async (t) => {
    if (skipReason) { t.skip(skipReason); return; }
    const pageServer = allowedOrigin;
    const page = await browser!.newPage({ viewport: { width: 720, height: 480 } });
    page.setDefaultTimeout(10_000);
    const cspErrors: string[] = [];
    page.on("console", (m) => { if (m.type() === "error") cspErrors.push(m.text()); });
    await page.goto(`${pageServer}/council-tax/discounts?ref=newsletter&token=abc#apply`);
    await page.locator("contacthub-page-rating").getByRole("button", { name: /^No/ }).waitFor();

    // The constructed stylesheet applied under style-src 'self' (the buttons are green).
    const bg = await page.locator("contacthub-page-rating").getByRole("button", { name: /^No/ }).evaluate((b) => getComputedStyle(b).backgroundColor);
    assert.equal(bg, "rgb(0, 112, 60)");
    assert.deepEqual(await axeViolations(page), [], "the question");
    await shot(page, "1-question");

    await page.keyboard.press("Tab");
    assert.match(await focused(page), /^button#:Yes/);
    await page.keyboard.press("Tab");
    assert.match(await focused(page), /^button#:No/);
    await page.keyboard.press("Enter");
    assert.match(await focused(page), /^p#chr1f:Help us improve/, "focus moves to the form");
    assert.deepEqual(await axeViolations(page), [], "the form");
    await page.keyboard.press("Tab");
    await page.keyboard.type("Looking for the single person discount");
    await page.keyboard.press("Tab");
    await page.keyboard.type("The form link was broken");
    await shot(page, "2-form");
    await page.keyboard.press("Tab");
    assert.match(await focused(page), /^button#:Send/);
    const watch = await watchRatings(hub.baseUrl, hub.token("--role", "agent", "--sub", "alice"));
    const answered = page.waitForResponse((r) => r.url().endsWith("/v1/ratings") && r.request().method() === "POST");
    await page.keyboard.press("Enter");
    assert.equal((await answered).status(), 201);

    await page.locator("contacthub-page-rating").getByText("Thank you for your feedback.", { exact: true }).first().waitFor();
    assert.match(await focused(page), /^p#:Thank you for your feedback\./, "focus moves to the thank-you");
    const announced = await page.evaluate(() => document.querySelector("contacthub-page-rating")!.shadowRoot!.querySelector('[role="status"]')!.textContent);
    assert.equal(announced, "Thank you for your feedback.");
    assert.deepEqual(await axeViolations(page), [], "the thank-you");
    await shot(page, "3-thanks");
    assert.deepEqual(cspErrors, [], "nothing the page's CSP refused");

    const events = await watch.atLeast(1);
    await new Promise((r) => setTimeout(r, 300));
    await watch.stop();
    assert.equal(watch.events().length, 1, "one rating recorded");
    assert.equal(events[0]!.useful, false);
    assert.equal(events[0]!.pageUrl, `${pageServer}/council-tax/discounts`, "no query string, no fragment");
    assert.match(events[0]!.comment ?? "", /single person discount[\s\S]*form link was broken/);
    await page.close();
  });

  it("records a Yes with one click and thanks the reader", async (t) => {
    if (skipReason) { t.skip(skipReason); return; }
    const pageServer = allowedOrigin;
    const page = await browser!.newPage();
    page.setDefaultTimeout(10_000);
    const watch = await watchRatings(hub.baseUrl, hub.token("--role", "agent", "--sub", "alice"));
    await page.goto(`${pageServer}/bins/collection-days?postcode=N17`);
    await page.locator("contacthub-page-rating").getByRole("button", { name: /^Yes/ }).click();
    await page.locator("contacthub-page-rating").getByText("Thank you for your feedback.", { exact: true }).first().waitFor();
    const events = await watch.atLeast(1);
    await watch.stop();
    assert.deepEqual(events.map((e) => [e.useful, e.pageUrl, e.comment]), [[true, `${pageServer}/bins/collection-days`, undefined]]);
    await page.close();
  });

  it("is refused from an origin the hub does not allow", async (t) => {
    if (skipReason) { t.skip(skipReason); return; }
    const elsewhere = await councilPage(hub.baseUrl, integrity);
    const page = await browser!.newPage();
    page.setDefaultTimeout(10_000);
    const watch = await watchRatings(hub.baseUrl, hub.token("--role", "agent", "--sub", "alice"));
    await page.goto(`${elsewhere}/somewhere`);
    await page.locator("contacthub-page-rating").getByRole("button", { name: /^Yes/ }).click();
    const status = page.locator("contacthub-page-rating").locator('[role="status"]');
    await assert.doesNotReject(status.filter({ hasText: "could not be sent" }).waitFor());
    const preflight = await fetch(`${hub.baseUrl}/v1/ratings`, {
      method: "OPTIONS", headers: { Origin: elsewhere, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
    });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers.get("Access-Control-Allow-Origin"), null);
    await new Promise((r) => setTimeout(r, 1000));
    await watch.stop();
    assert.deepEqual(watch.events(), [], "nothing recorded from that origin");
    await page.close();
  });
});


import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHub, type TestHub } from "../support/hub.ts";
import {
  ARTIFACTS_DIR,
  browserAvailability,
  CHROMIUM_ARGS,
  ensureConsoleBuilt,
} from "./support/browser.ts";
import { injectWallet } from "./support/wallet.ts";

const browserCheck = browserAvailability();
const alice = privateKeyToAccount(`0x${"11".repeat(32)}`);
const bob = privateKeyToAccount(`0x${"22".repeat(32)}`);
const agent = privateKeyToAccount(`0x${"33".repeat(32)}`);
const carol = privateKeyToAccount(`0x${"44".repeat(32)}`);
const STEP_MS = 15_000;

/** The console in real chromium against a real hub on loopback: the journeys. */
describe.skipIf("skip" in browserCheck)("console in chromium", () => {
  let t: TestHub;
  let url: string;
  let browser: Browser;
  /** A provider's endpoint on loopback, for the catalogue's service figures. */
  let provider: Server;
  let providerUrl = "";
  const contexts: BrowserContext[] = [];

  async function user(account?: typeof alice): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    if (account) await injectWallet(context, account);
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on("pageerror", (e) => process.stderr.write(`page error: ${e.message}\n`));
    await page.goto(url);
    return page;
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });

  async function signInWithWallet(page: Page) {
    await page.getByRole("button", { name: "Sign in with Ethereum" }).click();
    await page.getByRole("navigation", { name: "Console" }).waitFor();
  }

  const status = (page: Page) => page.getByTestId("order-status");

  /** Presses an order action, then its form's or confirmation's button when it has one. */
  async function fire(
    page: Page,
    label: string,
    expected: string,
    then: "form" | "dialog" | "none" = "none",
  ) {
    await page.getByRole("button", { name: label, exact: true }).first().click();
    if (then === "dialog")
      await page.getByRole("dialog").getByRole("button", { name: label }).click();
    if (then === "form") {
      await page.getByRole("form", { name: label }).getByRole("button", { name: label }).click();
    }
    await expect.poll(() => status(page).textContent(), { timeout: STEP_MS }).toBe(expected);
  }

  const nav = (page: Page, name: string) =>
    page
      .getByRole("navigation", { name: "Console" })
      .getByRole("link", { name, exact: true })
      .click();

  async function availableText(page: Page, asset = "USDC") {
    await page.goto(`${url}/wallet`);
    const cell = page.getByTestId(`available-available-${asset}`);
    await cell.waitFor();
    return (await cell.textContent())?.trim();
  }

  beforeAll(async () => {
    if ("skip" in browserCheck) return;
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    ensureConsoleBuilt();
    provider = createServer((req, res) => {
      req.resume();
      req.on("end", () =>
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ result: { words: 3 } })),
      );
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    t = await startTestHub({
      config: { host: "127.0.0.1", outbound_allow_hosts: ["127.0.0.1"] },
    });
    url = await t.hub.listen();
    browser = await chromium.launch({ executablePath: browserCheck.path, args: CHROMIUM_ARGS });
  }, 240_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await t?.close();
    provider?.close();
  });

  it("serves the console with a strict CSP and falls back to index.html for app routes", async () => {
    const res = await fetch(`${url}/orders/mord_anything`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const api = await fetch(`${url}/api/v1/nothing-here`);
    expect(api.headers.get("content-type")).toContain("application/problem+json");
  });

  it("runs a bounty from posting to accepted delivery, and the balances move", async () => {
    const a = await user(alice);
    await shot(a, "01-sign-in");
    await signInWithWallet(a);
    const aliceId = await a.getByTestId("principal").getAttribute("title");

    // The operator signs in with the admin key and credits Alice 100 USDC.
    const op = await user();
    await op.getByLabel("API key", { exact: true }).fill(t.adminKey);
    await op.getByRole("button", { name: "Sign in with key" }).click();
    await nav(op, "Operator");
    await op.getByLabel("Principal id").fill(aliceId ?? "");
    await op.getByLabel("Amount").fill("100");
    await op.getByRole("button", { name: "Credit deposit" }).click();
    await op.getByText(/Credited 100 USDC/).waitFor();
    expect(await availableText(a)).toBe("100.00 USDC");

    // Alice posts a bounty.
    await nav(a, "Market");
    await a.getByRole("link", { name: "Post a bounty or service" }).click();
    await a.getByLabel("Title").fill("Translate our onboarding guide");
    await a.getByLabel("Description").fill("About 2,000 words, English to German.");
    await a.getByLabel("Category").fill("translation");
    await a.getByLabel("Tags").fill("german, docs");
    await a.getByLabel("Amount").fill("5");
    await a.getByRole("button", { name: "Post listing" }).click();
    await a.getByRole("heading", { name: "Translate our onboarding guide" }).waitFor();

    // Bob finds it on the market and opens a negotiation.
    const b = await user(bob);
    await signInWithWallet(b);
    await b.getByLabel("Search").fill("onboarding");
    await b.getByRole("button", { name: "Apply filters" }).click();
    await shot(b, "02-market");
    await b.getByRole("link", { name: "Translate our onboarding guide" }).click();
    await b.getByLabel("Message to the owner").fill("Native speaker, done in two days.");
    await b.getByRole("button", { name: "Open negotiation" }).click();
    await status(b).waitFor();
    expect(await status(b).textContent()).toBe("Negotiating");
    const orderUrl = b.url();
    await fire(b, "Agree to terms", "Negotiating", "form");
    await b.getByText("Waiting for the buyer to agree to the same terms").waitFor();

    // Alice agrees and funds escrow; the thread shows Bob's message.
    await a.goto(orderUrl);
    await a.getByText("Native speaker, done in two days.").waitFor();
    await fire(a, "Agree to terms", "Awaiting pay", "form");
    await fire(a, "Fund escrow", "Escrowed", "dialog");
    expect(await a.getByTestId("escrow-status").textContent()).toContain("Held in escrow");
    await a.getByLabel("Message").fill("Funded, go ahead.");
    await a.getByRole("button", { name: "Send" }).click();

    // Bob sees the news without reloading, starts and delivers with proof.
    await expect.poll(() => status(b).textContent(), { timeout: STEP_MS }).toBe("Escrowed");
    await b.getByText("Funded, go ahead.").waitFor();
    await fire(b, "Start work", "Delivering");
    await b.getByRole("button", { name: "Deliver with proof" }).click();
    await b.getByLabel("What you delivered").fill("Translated guide attached.");
    await b.getByLabel("Links").fill("https://files.example/guide-de.pdf");
    await b.getByRole("form", { name: "Deliver with proof" }).getByRole("button").first().click();
    await expect.poll(() => status(b).textContent(), { timeout: STEP_MS }).toBe("Proof submitted");

    // Alice reviews and accepts: escrow goes to Bob minus the 1 % hub fee.
    await expect.poll(() => status(a).textContent(), { timeout: STEP_MS }).toBe("Proof submitted");
    await fire(a, "Start review", "Reviewing");
    await fire(a, "Accept delivery", "Completed", "dialog");
    expect(await a.getByTestId("escrow-status").textContent()).toContain("Released to the seller");
    const timeline = await a.getByTestId("timeline").textContent();
    for (const step of ["agree", "fund", "start", "submit proof", "start review", "accept"]) {
      expect(timeline).toContain(step);
    }
    await a.getByRole("button", { name: "Verify" }).first().click();
    await a
      .getByText(/^valid, signed by/)
      .first()
      .waitFor();
    await shot(a, "03-order");

    await a.getByRole("textbox", { name: "Review", exact: true }).fill("Fast and accurate.");
    await a.getByRole("button", { name: "Send review" }).click();
    await a.getByText("You rated 5/5: Fast and accurate.").waitFor();

    expect(await availableText(a)).toBe("95.00 USDC");
    expect(await availableText(b)).toBe("4.95 USDC");
    await shot(b, "04-wallet");

    await op.reload();
    await op.getByTestId("ledger-status").waitFor();
    expect(await op.getByTestId("ledger-status").textContent()).toContain("Verified");
    await shot(op, "05-operator");
  }, 240_000);

  it("lets the buyer dispute and the operator split the escrow", async () => {
    const c = await user(carol);
    await signInWithWallet(c);
    const carolId = (await c.getByTestId("principal").getAttribute("title")) ?? "";
    const deposit = await t.call("POST", "/api/v1/admin/deposits", {
      key: t.adminKey,
      body: { id: "dep_e2e_carol", owner_id: carolId, amount: "10", asset: "USDC" },
    });
    expect(deposit.status).toBe(201);
    await c.goto(`${url}/market/new`);
    await c.getByLabel("Title").fill("Label 500 images");
    await c.getByLabel("Category").fill("data");
    await c.getByLabel("Amount").fill("2");
    await c.getByRole("button", { name: "Post listing" }).click();
    await c.getByRole("heading", { name: "Label 500 images" }).waitFor();
    const listingUrl = c.url();

    const b = await user(bob);
    await signInWithWallet(b);
    await b.goto(listingUrl);
    await b.getByRole("button", { name: "Open negotiation" }).click();
    await status(b).waitFor();
    await fire(b, "Agree to terms", "Negotiating", "form");
    await c.goto(b.url());
    await fire(c, "Agree to terms", "Awaiting pay", "form");
    await fire(c, "Fund escrow", "Escrowed", "dialog");
    await expect.poll(() => status(b).textContent(), { timeout: STEP_MS }).toBe("Escrowed");
    await fire(b, "Start work", "Delivering");
    await expect.poll(() => status(c).textContent(), { timeout: STEP_MS }).toBe("Delivering");

    // The thread is live over SSE: Carol's message reaches Bob's open page without any polling.
    const mode = (page: Page) => page.getByTestId("thread-mode").getAttribute("data-mode");
    await expect.poll(() => mode(b), { timeout: STEP_MS }).toBe("live");
    await expect.poll(() => mode(c), { timeout: STEP_MS }).toBe("live");
    const polled: string[] = [];
    b.on("request", (r) => {
      if (r.url().includes("/messages")) polled.push(r.url());
    });
    await c.getByLabel("Message", { exact: true }).fill("Any progress on the labels?");
    await c.getByRole("button", { name: "Send", exact: true }).click();
    await b.getByText("Any progress on the labels?").waitFor();
    await b.waitForTimeout(2_500); // longer than the old polling interval
    expect(polled).toEqual([]);
    await shot(b, "10-thread-live");

    await c.getByRole("button", { name: "Open a dispute", exact: true }).click();
    await c.getByLabel("Reason").fill("Nothing delivered after a week.");
    await c.getByRole("form", { name: "Open a dispute" }).getByRole("button").first().click();
    await expect.poll(() => status(c).textContent(), { timeout: STEP_MS }).toBe("Disputed");
    expect(await c.getByTestId("escrow-status").textContent()).toContain("Frozen");
    const orderId = c.url().split("/").at(-1) ?? "";
    await c.getByLabel("Add evidence").fill("The shared folder is still empty.");
    await c.getByRole("button", { name: "Send", exact: true }).click();
    // The posted message (the box may still hold the text until the send returns).
    await c.locator("p", { hasText: "The shared folder is still empty." }).first().waitFor();

    // The operator finds it in the disputes queue, with its evidence and the split form.
    const op = await user();
    await op.getByLabel("API key", { exact: true }).fill(t.adminKey);
    await op.getByRole("button", { name: "Sign in with key" }).click();
    await nav(op, "Operator");
    const card = op.getByTestId("disputes-queue").locator(`[data-order="${orderId}"]`);
    await card.getByText("Nothing delivered after a week.").waitFor();
    await card.getByText("The shared folder is still empty.").waitFor();
    await card.getByRole("button", { name: "Decide dispute", exact: true }).click();
    await card.getByLabel("Seller's share (%)").fill("60");
    await card.getByLabel("Note").fill("Partly done.");
    await shot(op, "09-dispute");
    await card.getByRole("form", { name: "Decide dispute" }).getByRole("button").first().click();
    await op.getByText("No disputed orders: nothing waits for a decision.").waitFor();
    await op.goto(`${url}/orders/${orderId}`);
    await expect.poll(() => status(op).textContent(), { timeout: STEP_MS }).toBe("Resolved");
    await op.getByText(/Decided: seller 60%/).waitFor();
    expect(await availableText(c)).toBe("8.80 USDC");
  }, 180_000);

  it("registers a machine, pairs an agent under a policy and revokes it", async () => {
    const a = await user(alice);
    await signInWithWallet(a);
    await nav(a, "Machines & agents");
    await a.getByText("No machines yet").waitFor();
    await a.getByLabel("Name").fill("Rover 7");
    await a.getByRole("button", { name: "Sign challenge and register" }).click();
    await a.getByRole("heading", { name: "Rover 7" }).waitFor();

    await a.getByText("Pair an agent").click();
    await a.getByLabel("Agent address (0x…)").fill(agent.address);
    await a.getByLabel("Agent provider").fill("acme-labs");
    await a.getByLabel("Agent role").fill("shopper");
    await a.getByRole("button", { name: "Get the agent's challenge" }).click();
    const challenge = await a.getByTestId("agent-challenge").inputValue();
    await a
      .getByLabel("The agent's signature (0x…)")
      .fill(await agent.signMessage({ message: challenge }));
    await a.getByLabel("Per day").fill("10");
    await a.getByLabel("Per month").fill("5");
    await a.getByRole("button", { name: "Pair agent" }).click();
    await a.getByText("The daily limit is above the monthly limit").waitFor();
    await a.getByLabel("Per month").fill("100");
    await a.getByRole("button", { name: "Pair agent" }).click();
    await a.getByTestId("pairing-token").waitFor();
    await a.getByTestId("pairing-status").filter({ hasText: "active" }).waitFor();
    await a.getByText(/Today: 0\.00 USDC of 10\.00 USDC/).waitFor();
    await shot(a, "06-machines");

    await a.getByRole("button", { name: "Revoke" }).click();
    await a.getByRole("dialog").getByRole("button", { name: "Revoke agent" }).click();
    await a.getByTestId("pairing-status").filter({ hasText: "revoked" }).waitFor();
    const owner = await t.call("GET", "/api/v1/owner/machines", {
      headers: { cookie: await cookieOf(a) },
    });
    expect(owner.body.items[0].pairings[0].status).toBe("revoked");
  }, 180_000);

  it("shows a provider the runs, success rate, latency and revenue of each service", async () => {
    const register = async (handle: string) => {
      const reg = await t.call("POST", "/api/agents/register", { body: { handle } });
      expect(reg.status).toBe(201);
      return { id: reg.body.agent.id as string, key: reg.body.apiKey as string };
    };
    const seller = await register("e2e-provider");
    const buyer = await register("e2e-shopper");
    const deposit = await t.call("POST", "/api/v1/admin/deposits", {
      key: t.adminKey,
      body: { id: "dep_e2e_shopper", owner_id: buyer.id, amount: "2", asset: "USDC" },
    });
    expect(deposit.status, JSON.stringify(deposit.body)).toBe(201);
    const published = await t.call("POST", "/api/v1/catalog/services", {
      key: seller.key,
      body: {
        name: "e2e-word-count",
        version: "1.0.0",
        skill_key: "text.stats",
        description: "counts words",
        company_name: "E2E Ltd",
        execution_mode: "native",
        endpoints: [{ url: `${providerUrl}/ok`, method: "POST" }],
        pricing: { model: "fixed", asset: "USDC", amount: "0.50" },
        rails: ["agx-ledger"],
      },
    });
    expect(published.status).toBe(201);
    for (let i = 0; i < 3; i++) {
      const paid = await t.call("POST", "/capabilities/e2e-word-count/analyze@v1/invoke", {
        key: buyer.key,
        body: { input: { text: "Agents trade skills." } },
      });
      expect(paid.body.success, JSON.stringify(paid.body)).toBe(true);
    }

    const p = await user();
    await p.getByLabel("API key", { exact: true }).fill(seller.key);
    await p.getByRole("button", { name: "Sign in with key" }).click();
    await nav(p, "Catalogue");
    const row = p.getByTestId("service-stats").locator('[data-service="e2e-word-count"]');
    await row.getByTestId("runs").waitFor();
    expect(await row.getByTestId("runs").textContent()).toBe("3");
    expect(await row.getByTestId("success").textContent()).toBe("100%");
    expect(await row.getByTestId("p50").textContent()).toMatch(/^\d+ ms$/);
    expect(await row.getByTestId("p95").textContent()).toMatch(/^\d+ ms$/);
    // 3 × 0.50 USDC less the hub's 1% fee.
    expect(await row.getByTestId("revenue").textContent()).toContain("1.485");
    expect(await row.getByTestId("revenue").textContent()).toContain("(3 settled)");
    await shot(p, "11-catalogue-stats");
  }, 120_000);

  it("shows the catalogue and the live floor, and signs out", async () => {
    const a = await user(alice);
    await signInWithWallet(a);
    await nav(a, "Catalogue");
    await a.getByRole("heading", { name: "Publish a skill" }).waitFor();
    await a.getByLabel("Input schema").fill('{"type": "objekt"}');
    await a.getByText('Unknown type "objekt"').waitFor();
    await shot(a, "07-catalogue");
    await nav(a, "Live floor");
    await a.getByText("Stream: live").waitFor();
    await shot(a, "08-floor");
    const cookie = await cookieOf(a);
    expect((await t.call("GET", "/api/v1/session", { headers: { cookie } })).status).toBe(200);
    await a.getByRole("button", { name: "Sign out" }).click();
    await a.getByRole("button", { name: "Sign in with Ethereum" }).waitFor();
    const after = await t.call("GET", "/api/v1/session", { headers: { cookie } });
    expect(after.status).toBe(401);
  }, 120_000);
});

async function cookieOf(page: Page): Promise<string> {
  const cookies = await page.context().cookies();
  return cookies.map((c) => `${c.name}=${c.value}`).join("; ");
}

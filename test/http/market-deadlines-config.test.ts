import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/db/db.ts";
import { manualClock } from "../../src/kernel/clock.ts";
import { available, ledgerFailures, type MarketHub, startMarketHub } from "./market-hub.ts";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe("market deadlines from the hub's configuration", () => {
  it("reads AGX_MARKET_REVIEW_START_MS and AGX_MARKET_AUTO_ACCEPT_MS, 72 h each by default", () => {
    expect(loadConfig({ env: {} })).toMatchObject({
      market_review_start_after_ms: 72 * 60 * MINUTE,
      market_auto_accept_after_ms: 72 * 60 * MINUTE,
    });
    const set = loadConfig({
      env: { AGX_MARKET_REVIEW_START_MS: "3600000", AGX_MARKET_AUTO_ACCEPT_MS: "7200000" },
    });
    expect(set).toMatchObject({
      market_review_start_after_ms: 3_600_000,
      market_auto_accept_after_ms: 7_200_000,
    });
  });

  it("refuses a deadline under a minute, over 30 days, or not a whole number of ms", () => {
    for (const bad of ["59999", "2592000001", "1.5h", "-1"]) {
      expect(() => loadConfig({ env: { AGX_MARKET_AUTO_ACCEPT_MS: bad } })).toThrow(ConfigError);
    }
  });

  it("lets test mode (harnesses) go down to a second, and nothing below it", () => {
    const test = { AGX_ENV: "test", AGX_MARKET_REVIEW_START_MS: "1000" };
    expect(loadConfig({ env: test }).market_review_start_after_ms).toBe(1000);
    expect(() => loadConfig({ env: { ...test, AGX_MARKET_REVIEW_START_MS: "999" } })).toThrow(
      ConfigError,
    );
    expect(() =>
      loadConfig({ env: { AGX_ENV: "development", AGX_MARKET_REVIEW_START_MS: "1000" } }),
    ).toThrow(/1 min/);
  });

  describe("with review after 1 h and acceptance 2 h later", () => {
    const clock = manualClock(Date.UTC(2026, 5, 1));
    let m: MarketHub;
    beforeAll(async () => {
      const config = loadConfig({
        env: { AGX_MARKET_REVIEW_START_MS: "3600000", AGX_MARKET_AUTO_ACCEPT_MS: "7200000" },
      });
      m = await startMarketHub({
        database: openDatabase({
          kind: "sqlite",
          file: join(mkdtempSync(join(tmpdir(), "agx-deadlines-")), "agx.db"),
        }),
        clock,
        config: {
          market_review_start_after_ms: config.market_review_start_after_ms,
          market_auto_accept_after_ms: config.market_auto_accept_after_ms,
        },
      });
    });
    afterAll(() => m?.close());

    it("opens the review and completes the order on the configured timers", async () => {
      const buyer = await m.agent("100");
      const seller = await m.agent();
      const listing = await m.call("POST", "/api/market/listings", {
        key: buyer.key,
        body: {
          kind: "bounty",
          title: "Proofread a page",
          description: "One page, English",
          category: "writing",
          tags: ["proofreading"],
          price: { type: "fixed", amount: "10" },
          asset: "USDC",
          deadline: new Date(clock.now_ms() + 10 * DAY).toISOString(),
        },
      });
      expect(listing.status, JSON.stringify(listing.body)).toBe(201);
      const opened = await m.call("POST", "/api/market/negotiations", {
        key: seller.key,
        body: { sourceType: "bounty", sourceId: listing.body.id },
      });
      const id = opened.body.order.id as string;
      const event = async (key: string, body: Record<string, unknown>) => {
        const res = await m.call("PATCH", `/api/market/orders/${id}`, { key, body });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        return res.body.order.status as string;
      };
      await event(buyer.key, { event: "agree" });
      await event(seller.key, { event: "agree" });
      expect(await event(buyer.key, { event: "fund" })).toBe("ESCROWED");
      await event(seller.key, { event: "start" });
      const proof = { text: "done", urls: ["https://files.example/page.txt"] };
      expect(await event(seller.key, { event: "submit_proof", proof })).toBe("PROOF_SUBMITTED");
      const status = async () =>
        (await m.call("GET", `/api/market/orders/${id}`, { key: buyer.key })).body.status;
      clock.advance(59 * MINUTE);
      await m.worker.drain();
      expect(await status()).toBe("PROOF_SUBMITTED");
      clock.advance(2 * MINUTE);
      await m.worker.drain();
      expect(await status()).toBe("REVIEWING");
      clock.advance(121 * MINUTE);
      await m.worker.drain();
      expect(await status()).toBe("COMPLETED");
      expect(await available(m, seller.key)).toBeGreaterThan(0n);
      expect(await ledgerFailures(m)).toEqual([]);
    });
  });
});

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { clientExitCodes } from "../../src/cli/hub-client.ts";
import { type ListeningHub, STATS, startListeningHub } from "../sdk/support.ts";
import { agx } from "./harness.ts";

// One case spawns bin/agx.js (a TypeScript loader start); on a loaded machine that takes seconds.
vi.setConfig({ testTimeout: 120_000 });

describe("agx search, invoke, balance, order and agent shop against a hub", () => {
  let h: ListeningHub;
  let env: Record<string, string>;
  beforeAll(async () => {
    h = await startListeningHub();
    const a = await h.agent("1");
    env = { AGX_URL: h.url, AGX_KEY: a.key };
  });
  afterAll(async () => {
    await h.close();
  });

  it("lists ranked quotes as a table, or as the hub's JSON with --json", async () => {
    const human = await agx(["search", "word statistics", "--input", '{"text":"a b"}'], env);
    expect(human.code, human.err).toBe(clientExitCodes.ok);
    expect(human.out).toMatch(/^#\s+score\s+product\s+capability\s+price/);
    expect(human.out).toMatch(
      new RegExp(`${STATS.product}\\s+${STATS.capability}\\s+0\\.\\d+ USDC`),
    );
    const json = await agx(["search", "word statistics", "--json", "--limit", "2"], env);
    expect(JSON.parse(json.out).quotes).toHaveLength(2);
  });

  it("invokes a capability, prints the result, the price and an offline-verified receipt", async () => {
    const r = await agx(
      ["invoke", STATS.product, STATS.capability, "--input", '{"text":"one two three"}'],
      env,
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^ok: /);
    expect(r.out).toMatch(/order {4}ord_[0-9a-z]{26} \(confirmed\)/);
    expect(r.out).toContain("receipt  verified offline");
    expect(r.out).toContain('"words": 3');
  });

  it("shows an order with each receipt of its chain verified, and the balance", async () => {
    const invoked = await agx(
      ["invoke", STATS.product, STATS.capability, "--input", '{"text":"x"}', "--json"],
      env,
    );
    const { order_id } = JSON.parse(invoked.out) as { order_id: string };
    const order = await agx(["order", order_id], env);
    expect(order.code, order.err).toBe(0);
    for (const kind of ["quote", "payment", "result", "settlement"]) {
      expect(order.out).toMatch(new RegExp(`receipt  ${kind}\\s+rcpt_\\w+ verified`));
    }
    const balance = await agx(["balance"], env);
    expect(balance.out).toMatch(/^asset\s+kind\s+available\s+balance\nUSDC\s+available\s+0\.9/);
  });

  it("prints a refused call as the problem's title and detail and exits 1", async () => {
    const poor = await h.agent();
    const r = await agx(["invoke", STATS.product, STATS.capability, "--input", '{"text":"x"}'], {
      ...env,
      AGX_KEY: poor.key,
    });
    expect(r.code).toBe(clientExitCodes.problem);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/^agx: Payment is required: .+ \[PAYMENT_REQUIRED, HTTP 402\]\n/);
    expect(r.err).toContain("channel: open a channel");
    const missing = await agx(["order", "ord_00000000000000000000000000"], env);
    expect(missing.code).toBe(clientExitCodes.problem);
    expect(missing.err).toMatch(/\[ORDER_NOT_FOUND, HTTP 404\]/);
  });

  it("exits 2 on bad input JSON or missing credentials, and 3 when the hub is down", async () => {
    const bad = await agx(["invoke", STATS.product, STATS.capability, "--input", "{nope"], env);
    expect(bad).toMatchObject({ code: clientExitCodes.usage, out: "" });
    expect(bad.err).toMatch(/^agx: --input is not JSON/);
    const anonymous = await agx(["balance"], { AGX_URL: h.url });
    expect(anonymous.code).toBe(clientExitCodes.usage);
    expect(anonymous.err).toContain("--key or set AGX_KEY");
    const down = await agx(["balance", "--url", "http://127.0.0.1:9", "--key", "sk_agx_x"]);
    expect(down.code).toBe(clientExitCodes.unreachable);
    expect(down.err).toMatch(/^agx: cannot reach http:\/\/127\.0\.0\.1:9/);
  });

  it("lets flags win over AGX_URL and AGX_KEY", async () => {
    const r = await agx(["balance", "--json", "--url", h.url], {
      AGX_URL: "http://127.0.0.1:9",
      AGX_KEY: env.AGX_KEY ?? "",
    });
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).items[0].asset).toBe("USDC");
  });

  it("shops within a budget and prints the spend report", async () => {
    const shopper = await h.agent("1");
    const r = await agx(
      ["agent", "shop", "--goal", "count words in this text", "--budget", "0.5"],
      { ...env, AGX_KEY: shopper.key },
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^goal {5}count words in this text\nbudget {3}0\.5 USDC\n/);
    expect(r.out).toMatch(/spent {4}0\.\d+ USDC of 0\.5/);
    expect(r.out).toMatch(/receipts \d+ verified offline, 0 invalid/);
    expect(r.err).toContain("… closed ch_");
    const tiny = await agx(
      ["agent", "shop", "--goal", "count words", "--budget", "0.000001", "--json"],
      { ...env, AGX_KEY: shopper.key },
    );
    expect(JSON.parse(tiny.out)).toMatchObject({ stopped: "budget_too_small", spent: "0" });
  });

  it("is wired into bin/agx.js", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [new URL("../../bin/agx.js", import.meta.url).pathname, "balance", "--json"],
      { env: { PATH: process.env.PATH ?? "", ...env } },
    );
    expect(JSON.parse(stdout).items.length).toBeGreaterThan(0);
  });
});

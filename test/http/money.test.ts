import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { newId } from "../../src/kernel/ids.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";
import { describeStores } from "../support/stores.ts";

describeStores("ledger over HTTP", (store) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ database: store.db });
  });
  afterAll(() => t.close());
  afterEach(async () => {
    const v = await t.call("GET", "/api/v1/admin/ledger/verify", { key: t.adminKey });
    expect(v.body.failures).toEqual([]);
    expect(v.body.ok).toBe(true);
  });

  async function agent() {
    const res = await t.call("POST", "/api/agents/register", {
      body: { handle: `m${Math.random().toString(36).slice(2, 12)}` },
    });
    return { id: res.body.agent.id as string, key: res.body.apiKey as string };
  }
  const deposit = (
    owner_id: string,
    amount: string,
    headers: Record<string, string> = {},
    id = newId("dep"),
  ) =>
    t.call("POST", "/api/v1/admin/deposits", {
      key: t.adminKey,
      headers,
      body: { id, owner_id, amount, asset: "USDC" },
    });

  it("deposits decimal amounts exactly and shows them in the owner's balances", async () => {
    const a = await agent();
    const res = await deposit(a.id, "12.345678");
    expect(res.status).toBe(201);
    expect(res.body.transfer.money).toEqual({
      amount: "12.345678",
      amount_minor: "12345678",
      asset: "USDC",
    });
    const balances = await t.call("GET", "/api/v1/balances", { key: a.key });
    expect(balances.body.items).toEqual([
      expect.objectContaining({
        kind: "available",
        asset: "USDC",
        balance: "12.345678",
        available_minor: "12345678",
      }),
    ]);
    const history = await t.call("GET", "/api/v1/transfers", { key: a.key });
    expect(history.body.items).toHaveLength(1);
  });

  it("refuses more decimals than the asset has instead of rounding", async () => {
    const a = await agent();
    const res = await deposit(a.id, "1.0000001");
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("LEDGER_AMOUNT_INVALID");
    expect(res.body.errors[0].pointer).toBe("/amount");
  });

  it("replays a request with the same Idempotency-Key and applies it once", async () => {
    const a = await agent();
    const headers = { "idempotency-key": newId("ik") };
    const id = newId("dep");
    const first = await deposit(a.id, "5", headers, id);
    const second = await deposit(a.id, "5", headers, id);
    expect(second.status).toBe(first.status);
    expect(second.body).toEqual(first.body);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    const balances = await t.call("GET", "/api/v1/balances", { key: a.key });
    expect(balances.body.items[0].balance).toBe("5.000000");
  });

  it("does not keep a 402 under its Idempotency-Key: paying, then retrying with the same key, buys", async () => {
    const a = await agent();
    const call = () =>
      t.call("POST", "/capabilities/builtin-text-stats-analyze/analyze@v1/invoke", {
        key: a.key,
        headers: { "idempotency-key": "ik-pay-then-retry" },
        body: { input: { text: "one two" } },
      });
    const unpaid = await call();
    expect(unpaid.status).toBe(402);
    await deposit(a.id, "1");
    const paid = await call();
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(paid.headers["idempotent-replayed"]).toBeUndefined();
    const again = await call();
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body.order_id).toBe(paid.body.order_id);
  });

  it("answers 422 naming the changed field when a key is reused with another body", async () => {
    const a = await agent();
    const headers = { "idempotency-key": newId("ik") };
    const id = newId("dep");
    await deposit(a.id, "5", headers, id);
    const changed = await deposit(a.id, "6", headers, id);
    expect(changed.status).toBe(422);
    expect(changed.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(changed.body.detail).toContain("/body/amount");
  });

  it("answers an overdraft with LEDGER_INSUFFICIENT_FUNDS and writes nothing", async () => {
    const a = await agent();
    await deposit(a.id, "1");
    const res = await t.call("POST", "/api/v1/admin/withdrawals", {
      key: t.adminKey,
      body: { id: newId("wd"), owner_id: a.id, amount: "1.000001", asset: "USDC" },
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("LEDGER_INSUFFICIENT_FUNDS");
    const balances = await t.call("GET", "/api/v1/balances", { key: a.key });
    expect(balances.body.items[0].balance).toBe("1.000000");
  });

  it("runs a linked batch of hold and post through the operator API", async () => {
    const a = await agent();
    const b = await agent();
    await deposit(a.id, "10");
    const [from] = (await t.call("GET", "/api/v1/balances", { key: a.key })).body.items;
    await deposit(b.id, "0.000001");
    const [to] = (await t.call("GET", "/api/v1/balances", { key: b.key })).body.items;
    const hold = newId("hold");
    const res = await t.call("POST", "/api/v1/admin/transfers", {
      key: t.adminKey,
      body: {
        linked: true,
        transfers: [
          {
            op: "hold",
            id: hold,
            debit_account_id: from.id,
            credit_account_id: to.id,
            amount: "4",
            asset: "USDC",
            code: "escrow",
          },
          { op: "post", id: newId("post"), pending_id: hold, amount: "1.5" },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { result: string }) => r.result)).toEqual([
      "created",
      "created",
    ]);
    const after = (await t.call("GET", "/api/v1/balances", { key: a.key })).body.items[0];
    expect(after.balance).toBe("8.500000");
    expect(after.available).toBe("8.500000");
  });

  it("keeps deposits to unknown principals and unknown assets out with clear problems", async () => {
    const missing = await deposit("prn_00000000000000000000000000", "1");
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("IDENTITY_PRINCIPAL_NOT_FOUND");
    const a = await agent();
    const res = await t.call("POST", "/api/v1/admin/deposits", {
      key: t.adminKey,
      body: { id: newId("dep"), owner_id: a.id, amount: "1", asset: "DOGE" },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("LEDGER_ASSET_UNKNOWN");
  });
});

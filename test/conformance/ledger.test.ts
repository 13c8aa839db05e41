import { afterEach, beforeAll, expect, it } from "vitest";
import type { Database } from "../../src/db/db.ts";
import { manualClock } from "../../src/kernel/clock.ts";
import { newId } from "../../src/kernel/ids.ts";
import { type Account, createLedger, type TransferInput } from "../../src/ledger/index.ts";
import { describeStores } from "../support/stores.ts";

describeStores("ledger", (store) => {
  const clock = manualClock(Date.UTC(2026, 10, 1));
  const ledger = createLedger({ clock });
  let db: Database;

  beforeAll(async () => {
    db = store.db;
    await db.transaction((tx) =>
      ledger.registerAssets(tx, [
        { code: "USDC", decimals: 6 },
        { code: "USDT", decimals: 6 },
      ]),
    );
  });

  // Every money test ends with a ledger that proves itself.
  afterEach(async () => {
    const report = await ledger.verify(db.kysely);
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    for (const s of report.sums) expect(s.sum_minor).toBe(0n);
  });

  async function account(owner: string, asset = "USDC", kind: Account["kind"] = "available") {
    return db.transaction((tx) => ledger.openAccount(tx, { owner_id: owner, asset, kind }));
  }
  async function funded(amount_minor: bigint, asset = "USDC") {
    const owner = newId("prn");
    const r = await db.transaction((tx) =>
      ledger.deposit(tx, { id: newId("dep"), owner_id: owner, amount_minor, asset }),
    );
    expect(r.result).toBe("created");
    return account(owner, asset);
  }
  async function balanceOf(id: string) {
    const a = await ledger.getAccount(db.kysely, id);
    if (!a) throw new Error(`no account ${id}`);
    return a;
  }
  const transfer = (input: TransferInput) => db.transaction((tx) => ledger.transfer(tx, input));
  const move = (from: Account, to: Account, amount_minor: bigint, id = newId("tr")) =>
    transfer({
      op: "transfer",
      id,
      debit_account_id: from.id,
      credit_account_id: to.id,
      amount_minor,
      asset: from.asset,
      code: "test",
    });

  it("moves money between two accounts with one balanced transfer", async () => {
    const alice = await funded(5_000_000n);
    const bob = await account(newId("prn"));
    const r = await move(alice, bob, 1_250_000n);
    expect(r.result).toBe("created");
    expect((await balanceOf(alice.id)).balance_minor).toBe(3_750_000n);
    expect((await balanceOf(bob.id)).balance_minor).toBe(1_250_000n);
  });

  it("records a deposit as a debit of the hub's external account, which may go negative", async () => {
    const alice = await funded(7n);
    const external = await db.transaction((tx) => ledger.hubAccount(tx, "USDC", "external"));
    expect(external.allow_negative).toBe(true);
    expect(external.balance_minor).toBeLessThan(0n);
    expect((await balanceOf(alice.id)).balance_minor).toBe(7n);
  });

  it("answers a replay with the same fields with `exists` and applies nothing twice", async () => {
    const alice = await funded(100n);
    const bob = await account(newId("prn"));
    const id = newId("tr");
    expect((await move(alice, bob, 40n, id)).result).toBe("created");
    const again = await move(alice, bob, 40n, id);
    expect(again.result).toBe("exists");
    expect(again.transfer?.id).toBe(id);
    expect((await balanceOf(alice.id)).balance_minor).toBe(60n);
  });

  it("refuses a replay with different fields and names the field that differs", async () => {
    const alice = await funded(100n);
    const bob = await account(newId("prn"));
    const id = newId("tr");
    await move(alice, bob, 40n, id);
    const conflict = await move(alice, bob, 41n, id);
    expect(conflict.result).toBe("exists_with_different_amount_minor");
    expect(conflict.field).toBe("amount_minor");
    expect((await balanceOf(alice.id)).balance_minor).toBe(60n);
  });

  it("refuses to overdraw an account and leaves both balances untouched", async () => {
    const alice = await funded(10n);
    const bob = await account(newId("prn"));
    const r = await move(alice, bob, 11n);
    expect(r.result).toBe("exceeds_balance");
    expect(await ledger.getTransfer(db.kysely, r.id)).toBeNull();
    expect((await balanceOf(alice.id)).balance_minor).toBe(10n);
    expect((await balanceOf(bob.id)).balance_minor).toBe(0n);
  });

  it("refuses a transfer between accounts of different assets", async () => {
    const alice = await funded(10n, "USDC");
    const bob = await account(newId("prn"), "USDT");
    const r = await transfer({
      op: "transfer",
      id: newId("tr"),
      debit_account_id: alice.id,
      credit_account_id: bob.id,
      amount_minor: 1n,
      asset: "USDC",
      code: "x",
    });
    expect(r.result).toBe("asset_mismatch");
  });

  it("commits a linked batch all together or not at all", async () => {
    const alice = await funded(100n);
    const bob = await account(newId("prn"));
    const ok = newId("tr");
    const tooMuch = newId("tr");
    const results = await db.transaction((tx) =>
      ledger.createTransfers(
        tx,
        [
          {
            op: "transfer",
            id: ok,
            debit_account_id: alice.id,
            credit_account_id: bob.id,
            amount_minor: 60n,
            asset: "USDC",
            code: "a",
          },
          {
            op: "transfer",
            id: tooMuch,
            debit_account_id: alice.id,
            credit_account_id: bob.id,
            amount_minor: 60n,
            asset: "USDC",
            code: "b",
          },
        ],
        { linked: true },
      ),
    );
    expect(results.map((r) => r.result)).toEqual(["linked_event_failed", "exceeds_balance"]);
    expect(await ledger.getTransfer(db.kysely, ok)).toBeNull();
    expect((await balanceOf(alice.id)).balance_minor).toBe(100n);

    const both = await db.transaction((tx) =>
      ledger.createTransfers(
        tx,
        [
          {
            op: "transfer",
            id: newId("tr"),
            debit_account_id: alice.id,
            credit_account_id: bob.id,
            amount_minor: 60n,
            asset: "USDC",
            code: "a",
          },
          {
            op: "transfer",
            id: newId("tr"),
            debit_account_id: alice.id,
            credit_account_id: bob.id,
            amount_minor: 40n,
            asset: "USDC",
            code: "b",
          },
        ],
        { linked: true },
      ),
    );
    expect(both.map((r) => r.result)).toEqual(["created", "created"]);
    expect((await balanceOf(bob.id)).balance_minor).toBe(100n);
  });

  it("judges a linked batch step by step: money must arrive before it moves on", async () => {
    const alice = await funded(30n);
    const [bob, carol] = [await account(newId("prn")), await account(newId("prn"))];
    const leg = (from: Account, to: Account, id = newId("tr")): TransferInput => ({
      op: "transfer",
      id,
      debit_account_id: from.id,
      credit_account_id: to.id,
      amount_minor: 30n,
      asset: "USDC",
      code: "leg",
    });
    const batch = (inputs: TransferInput[]) =>
      db.transaction((tx) => ledger.createTransfers(tx, inputs, { linked: true }));
    // Bob is empty: paying Carol before Alice pays him fails, though the net would be fine.
    const early = await batch([leg(bob, carol), leg(alice, bob)]);
    expect(early.map((r) => r.result)).toEqual(["exceeds_balance", "linked_event_failed"]);
    expect((await balanceOf(alice.id)).balance_minor).toBe(30n);
    const inOrder = await batch([leg(alice, bob), leg(bob, carol)]);
    expect(inOrder.map((r) => r.result)).toEqual(["created", "created"]);
    expect((await balanceOf(bob.id)).balance_minor).toBe(0n);
    expect((await balanceOf(carol.id)).balance_minor).toBe(30n);
  });

  it("posts a hold and pays it onward in one linked batch, and replays it as `exists`", async () => {
    const buyer = await funded(100n);
    const escrow = await account(newId("prn"), "USDC", "escrow");
    const [seller, fees] = [
      await account(newId("prn")),
      await account(newId("prn"), "USDC", "fees"),
    ];
    const hold = newId("tr");
    const held = await transfer({
      op: "hold",
      id: hold,
      debit_account_id: buyer.id,
      credit_account_id: escrow.id,
      amount_minor: 40n,
      asset: "USDC",
      code: "order",
    });
    expect(held.result).toBe("created");
    expect((await balanceOf(buyer.id)).available_minor).toBe(60n);
    const release: TransferInput[] = [
      { op: "post", id: `${hold}.post`, pending_id: hold },
      {
        op: "transfer",
        id: `${hold}.payout`,
        debit_account_id: escrow.id,
        credit_account_id: seller.id,
        amount_minor: 39n,
        asset: "USDC",
        code: "payout",
      },
      {
        op: "transfer",
        id: `${hold}.fee`,
        debit_account_id: escrow.id,
        credit_account_id: fees.id,
        amount_minor: 1n,
        asset: "USDC",
        code: "fee",
      },
    ];
    const run = () => db.transaction((tx) => ledger.createTransfers(tx, release, { linked: true }));
    expect((await run()).map((r) => r.result)).toEqual(["created", "created", "created"]);
    expect((await run()).map((r) => r.result)).toEqual(["exists", "exists", "exists"]);
    const after = await balanceOf(buyer.id);
    expect([after.balance_minor, after.pending_debits_minor]).toEqual([60n, 0n]);
    expect((await balanceOf(escrow.id)).balance_minor).toBe(0n);
    expect((await balanceOf(seller.id)).balance_minor).toBe(39n);
    expect((await balanceOf(fees.id)).balance_minor).toBe(1n);
    expect((await ledger.getTransfer(db.kysely, hold))?.state).toBe("posted");
  });

  it("applies an unlinked batch transfer by transfer, each with its own result", async () => {
    const alice = await funded(50n);
    const bob = await account(newId("prn"));
    const results = await db.transaction((tx) =>
      ledger.createTransfers(tx, [
        {
          op: "transfer",
          id: newId("tr"),
          debit_account_id: alice.id,
          credit_account_id: bob.id,
          amount_minor: 80n,
          asset: "USDC",
          code: "a",
        },
        {
          op: "transfer",
          id: newId("tr"),
          debit_account_id: alice.id,
          credit_account_id: bob.id,
          amount_minor: 30n,
          asset: "USDC",
          code: "b",
        },
      ]),
    );
    expect(results.map((r) => r.result)).toEqual(["exceeds_balance", "created"]);
    expect((await balanceOf(alice.id)).balance_minor).toBe(20n);
  });

  it("reserves a hold and posts part of it, returning the rest to the payer", async () => {
    const buyer = await funded(1_000n);
    const escrow = await account(newId("prn"), "USDC", "escrow");
    const hold = newId("hold");
    const held = await transfer({
      op: "hold",
      id: hold,
      debit_account_id: buyer.id,
      credit_account_id: escrow.id,
      amount_minor: 400n,
      asset: "USDC",
      code: "escrow",
    });
    expect(held.result).toBe("created");
    let b = await balanceOf(buyer.id);
    expect(b.balance_minor).toBe(1_000n);
    expect(b.available_minor).toBe(600n);
    expect((await balanceOf(escrow.id)).pending_credits_minor).toBe(400n);

    const post = await transfer({
      op: "post",
      id: newId("post"),
      pending_id: hold,
      amount_minor: 150n,
    });
    expect(post.result).toBe("created");
    b = await balanceOf(buyer.id);
    expect(b.balance_minor).toBe(850n);
    expect(b.pending_debits_minor).toBe(0n);
    expect(b.available_minor).toBe(850n);
    const e = await balanceOf(escrow.id);
    expect(e.balance_minor).toBe(150n);
    expect(e.pending_credits_minor).toBe(0n);
    expect((await ledger.getTransfer(db.kysely, hold))?.state).toBe("posted");
  });

  it("refuses to post a hold twice or for more than was held", async () => {
    const buyer = await funded(100n);
    const seller = await account(newId("prn"));
    const hold = newId("hold");
    await transfer({
      op: "hold",
      id: hold,
      debit_account_id: buyer.id,
      credit_account_id: seller.id,
      amount_minor: 50n,
      asset: "USDC",
      code: "h",
    });
    const over = await transfer({
      op: "post",
      id: newId("post"),
      pending_id: hold,
      amount_minor: 51n,
    });
    expect(over.result).toBe("amount_exceeds_pending");
    expect((await transfer({ op: "post", id: newId("post"), pending_id: hold })).result).toBe(
      "created",
    );
    const twice = await transfer({ op: "post", id: newId("post"), pending_id: hold });
    expect(twice.result).toBe("pending_already_posted");
    expect((await balanceOf(seller.id)).balance_minor).toBe(50n);
  });

  it("voids a hold, releasing the reservation without moving money", async () => {
    const buyer = await funded(100n);
    const seller = await account(newId("prn"));
    const hold = newId("hold");
    await transfer({
      op: "hold",
      id: hold,
      debit_account_id: buyer.id,
      credit_account_id: seller.id,
      amount_minor: 70n,
      asset: "USDC",
      code: "h",
    });
    expect((await move(buyer, seller, 31n)).result).toBe("exceeds_balance");
    expect((await transfer({ op: "void", id: newId("void"), pending_id: hold })).result).toBe(
      "created",
    );
    const b = await balanceOf(buyer.id);
    expect(b.available_minor).toBe(100n);
    expect(b.pending_debits_minor).toBe(0n);
    const late = await transfer({ op: "post", id: newId("post"), pending_id: hold });
    expect(late.result).toBe("pending_already_voided");
  });

  it("expires a hold after its timeout and refuses to post it afterwards", async () => {
    const buyer = await funded(100n);
    const seller = await account(newId("prn"));
    const hold = newId("hold");
    await transfer({
      op: "hold",
      id: hold,
      debit_account_id: buyer.id,
      credit_account_id: seller.id,
      amount_minor: 80n,
      asset: "USDC",
      code: "h",
      timeout_ms: 60_000,
    });
    clock.advance(59_999);
    expect(await db.transaction((tx) => ledger.expireHolds(tx, 100))).toBe(0);
    clock.advance(1);
    const late = await transfer({ op: "post", id: newId("post"), pending_id: hold });
    expect(late.result).toBe("hold_expired");
    expect(await db.transaction((tx) => ledger.expireHolds(tx, 100))).toBeGreaterThanOrEqual(1);
    expect((await ledger.getTransfer(db.kysely, hold))?.state).toBe("expired");
    expect((await balanceOf(buyer.id)).available_minor).toBe(100n);
    const afterExpiry = await transfer({ op: "post", id: newId("post"), pending_id: hold });
    expect(afterExpiry.result).toBe("hold_expired");
  });

  it("never overdraws one account under 50 parallel debits", async () => {
    const payer = await funded(10n);
    const payees = await Promise.all(Array.from({ length: 5 }, () => account(newId("prn"))));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        move(payer, payees[i % payees.length] as Account, 1n).then((r) => r.result),
      ),
    );
    expect(results.filter((r) => r === "created")).toHaveLength(10);
    expect(results.filter((r) => r === "exceeds_balance")).toHaveLength(40);
    const after = await balanceOf(payer.id);
    expect(after.balance_minor).toBe(0n);
  });

  it("gives one winner when 20 parallel requests replay the same transfer id", async () => {
    const payer = await funded(100n);
    const payee = await account(newId("prn"));
    const id = newId("tr");
    const results = await Promise.all(
      Array.from({ length: 20 }, () => move(payer, payee, 5n, id).then((r) => r.result)),
    );
    expect(results.filter((r) => r === "created")).toHaveLength(1);
    expect(results.filter((r) => r === "exists")).toHaveLength(19);
    expect((await balanceOf(payer.id)).balance_minor).toBe(95n);
  });

  it("rejects nonsense amounts and self-transfers with result codes, not exceptions", async () => {
    const a = await funded(10n);
    const b = await account(newId("prn"));
    expect((await move(a, b, 0n)).result).toBe("amount_must_be_positive");
    expect((await move(a, a, 1n)).result).toBe("accounts_must_differ");
    expect((await move(a, b, 2n ** 63n)).result).toBe("amount_too_large");
    const bad = await transfer({
      op: "transfer",
      id: "has space",
      debit_account_id: a.id,
      credit_account_id: b.id,
      amount_minor: 1n,
      asset: "USDC",
      code: "x",
    });
    expect(bad.result).toBe("id_invalid");
  });

  it("keeps amounts above 2^53 exact", async () => {
    const big = 2n ** 60n + 7n;
    const whale = await funded(big);
    const other = await account(newId("prn"));
    await move(whale, other, 2n ** 55n + 1n);
    expect((await balanceOf(other.id)).balance_minor).toBe(2n ** 55n + 1n);
    expect((await balanceOf(whale.id)).balance_minor).toBe(big - (2n ** 55n + 1n));
  });
});

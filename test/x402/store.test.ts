import type { SettleResponse } from "@x402/core/types";
import { expect, it } from "vitest";
import { bookX402Payment, chainTransferId } from "../../src/flows/x402.ts";
import { manualClock } from "../../src/kernel/clock.ts";
import { isProblem } from "../../src/kernel/problem.ts";
import { createLedger } from "../../src/ledger/index.ts";
import {
  claimTx,
  createPendingSettlementStore,
  finishPaymentId,
  purgePaymentIds,
  releasePaymentId,
  reservePaymentId,
  x402Migrations,
} from "../../src/x402/index.ts";
import { describeStores } from "../support/stores.ts";

const settled: SettleResponse = {
  success: true,
  transaction: `0x${"1f".repeat(32)}`,
  network: "eip155:8453",
  payer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
};

describeStores(
  "x402 store",
  (store) => {
    const clock = manualClock(Date.UTC(2026, 10, 1));
    let n = 0;
    const fresh = () => `pay_${Date.now()}_${++n}_${"x".repeat(12)}`;

    it("reserves a payment id once and replays its settled outcome for the same payload", async () => {
      const ex = store.db.kysely;
      const slot = { id: fresh(), payload_sha256: "aa" };
      const now_ms = clock.now_ms();
      expect(await reservePaymentId(ex, { ...slot, now_ms })).toEqual({ outcome: "reserved" });
      expect(await reservePaymentId(ex, { ...slot, now_ms })).toEqual({ outcome: "in_use" });
      const done = { ...slot, state: "settled" as const, response: settled, now_ms };
      expect(await finishPaymentId(ex, { ...done, result_json: '{"ok":1}' })).toBe(true);
      expect(await reservePaymentId(ex, { ...slot, now_ms })).toEqual({
        outcome: "replay",
        response: settled,
        result: { ok: 1 },
      });
    });

    it("calls the same payment id with another payload a conflict", async () => {
      const ex = store.db.kysely;
      const id = fresh();
      const now_ms = clock.now_ms();
      await reservePaymentId(ex, { id, payload_sha256: "aa", now_ms });
      expect(await reservePaymentId(ex, { id, payload_sha256: "bb", now_ms })).toEqual({
        outcome: "conflict",
      });
    });

    it("frees a released reservation for a retry, but never a settled one", async () => {
      const ex = store.db.kysely;
      const slot = { id: fresh(), payload_sha256: "aa" };
      const now_ms = clock.now_ms();
      await reservePaymentId(ex, { ...slot, now_ms });
      await releasePaymentId(ex, slot);
      expect(await reservePaymentId(ex, { ...slot, now_ms })).toEqual({ outcome: "reserved" });
      const done = { ...slot, state: "settled" as const, response: settled, result_json: null };
      await finishPaymentId(ex, { ...done, now_ms });
      await releasePaymentId(ex, slot);
      expect((await reservePaymentId(ex, { ...slot, now_ms })).outcome).toBe("replay");
    });

    it("lets exactly one of many concurrent requests reserve a payment id", async () => {
      const id = fresh();
      const now_ms = clock.now_ms();
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, () =>
          reservePaymentId(store.db.kysely, { id, payload_sha256: "aa", now_ms }),
        ),
      );
      expect(outcomes.filter((o) => o.outcome === "reserved")).toHaveLength(1);
    });

    it("purges payment ids older than the retention", async () => {
      const ex = store.db.kysely;
      const id = fresh();
      await reservePaymentId(ex, { id, payload_sha256: "aa", now_ms: 1_000 });
      expect(await purgePaymentIds(ex, 2_000)).toBeGreaterThanOrEqual(1);
      expect(await reservePaymentId(ex, { id, payload_sha256: "bb", now_ms: 3_000 })).toEqual({
        outcome: "reserved",
      });
    });

    it("lets a transaction hash pay for one subject only, ever, whoever races", async () => {
      const tx_hash = `0x${`${Date.now().toString(16)}abcdef`.padStart(64, "0")}`;
      const claim = (subject: string, hash = tx_hash) =>
        claimTx(store.db.kysely, {
          chain: "eip155:3338",
          tx_hash: hash,
          purpose: "order",
          subject,
          now_ms: clock.now_ms(),
        });
      const racing = await Promise.all(Array.from({ length: 8 }, (_, i) => claim(`ord_${i}`)));
      const winners = racing.filter((r) => r.outcome === "created");
      expect(winners).toHaveLength(1);
      const owner = (await claim("ord_probe")) as { outcome: string; subject?: string };
      expect(owner.outcome).toBe("taken");
      expect((await claim(owner.subject ?? "")).outcome).toBe("exists");
      // Hashes are compared case-insensitively: the same transaction in upper case is taken.
      const upper = `0x${tx_hash.slice(2).toUpperCase()}`;
      expect((await claim("ord_other", upper)).outcome).toBe("taken");
    });

    it("remembers a broadcast settlement by signature until it is deleted", async () => {
      const pending = createPendingSettlementStore(store.db.kysely, clock);
      await pending.set("0xsig", settled.transaction);
      await pending.set("0xsig", settled.transaction);
      expect(await pending.get("0xsig")).toBe(settled.transaction);
      await pending.delete("0xsig");
      expect(await pending.get("0xsig")).toBeUndefined();
    });

    it("books an x402 settlement as one deposit keyed by its transaction", async () => {
      const ledger = createLedger({ clock });
      const db = store.db;
      await db.transaction((tx) => ledger.registerAssets(tx, [{ code: "USDC", decimals: 6 }]));
      const book = (amount_minor: bigint) =>
        db.transaction((tx) =>
          bookX402Payment(tx, ledger, {
            owner_id: "prn_x402_buyer",
            asset: "USDC",
            amount_minor,
            settlement: settled,
          }),
        );
      expect((await book(10_000n)).result).toBe("created");
      expect((await book(10_000n)).result).toBe("exists");
      const conflict = await book(20_000n).catch((e: unknown) => e);
      expect(isProblem(conflict) && conflict.code).toBe("LEDGER_TRANSFER_CONFLICT");
      const id = chainTransferId("x402", settled.network, settled.transaction);
      expect(id.length).toBeLessThanOrEqual(64);
      expect((await ledger.getTransfer(db.kysely, id))?.amount_minor).toBe(10_000n);
      expect((await ledger.verify(db.kysely)).ok).toBe(true);
    });
  },
  { migrations: x402Migrations },
);

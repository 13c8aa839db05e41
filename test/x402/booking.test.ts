import type { SettleResponse } from "@x402/core/types";
import { beforeAll, expect, it } from "vitest";
import { composeContext } from "../../src/compose.ts";
import { loadConfig } from "../../src/config.ts";
import { seedBuiltins } from "../../src/flows/seed-builtins.ts";
import { addressOwnerId, chainTransferId, purchaseWithX402 } from "../../src/flows/x402.ts";
import type { AppContext } from "../../src/http/context.ts";
import { manualClock } from "../../src/kernel/clock.ts";
import { createLogger } from "../../src/kernel/logger.ts";
import { x402Migrations } from "../../src/x402/index.ts";
import { describeStores } from "../support/stores.ts";

const PAYER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/** A settlement as a facilitator answers it, for a fresh transaction hash. */
function settlement(n: number): SettleResponse {
  return {
    success: true,
    transaction: `0x${n.toString(16).padStart(64, "0")}`,
    network: "eip155:8453",
    payer: PAYER,
  };
}

describeStores(
  "booking x402 settlements on the hub's ledger",
  (store) => {
    let ctx: AppContext;
    let service_id = "";
    const price = 50n; // text.slugify is a fixed 50 minor units

    beforeAll(async () => {
      const config = loadConfig({
        env: {},
        overrides: { env: "test", log_level: "silent", hub_fee_bps: 1000 },
      });
      ctx = composeContext({
        config,
        db: store.db,
        clock: manualClock(Date.UTC(2026, 10, 1)),
        logger: createLogger({ level: "silent" }),
        publicUrl: () => "http://127.0.0.1",
      });
      const operator = await store.db.transaction(async (tx) => {
        await ctx.ledger.registerAssets(tx, config.assets);
        await ctx.keys.ensure(tx);
        const op = await ctx.identity.ensureOperator(tx, {});
        await seedBuiltins(tx, ctx.catalog, op.principal.id);
        return op.principal.id;
      });
      const services = await ctx.catalog.listServices(
        store.db.kysely,
        { provider_id: operator, skill_key: "text.slugify" },
        null,
        10,
      );
      service_id = services[0]?.id ?? "";
    });

    const buy = (n: number, amount_minor = price) =>
      purchaseWithX402(ctx, {
        buyer_id: addressOwnerId("eip155:8453", PAYER),
        asset: "USDC",
        amount_minor,
        settlement: settlement(n),
        service_id,
        input: { text: "Paid by x402" },
      });

    it("deposits the settled amount and holds it for a ready order in one step", async () => {
      const made = await buy(1);
      expect(made.deposit).toBe("created");
      expect(made.order).toMatchObject({ status: "ready", rail: "prepaid", amount_minor: price });
      expect(made.payment?.status).toBe("held");
      const report = await ctx.fulfilment.execute(
        made.order.id,
        { id: made.order.buyer_id, reason: "x402 invoke" },
        { auto_confirm: true },
      );
      expect(report.order.status).toBe("confirmed");
      expect(report.result).toMatchObject({ ok: true, value: { slug: "paid-by-x402" } });
      const buyer = await ctx.ledger.accountsOf(store.db.kysely, made.order.buyer_id);
      expect(buyer.find((a) => a.kind === "available")?.balance_minor).toBe(0n);
      expect((await ctx.ledger.verify(store.db.kysely)).ok).toBe(true);
    });

    it("returns the same order for a replayed settlement and books the money once", async () => {
      const first = await buy(2);
      const again = await buy(2);
      expect(again.deposit).toBe("exists");
      expect(again.order.id).toBe(first.order.id);
      const buyer = await ctx.ledger.accountsOf(store.db.kysely, first.order.buyer_id);
      const available = buyer.find((a) => a.kind === "available");
      expect(available?.available_minor).toBe(0n);
      expect((await ctx.ledger.verify(store.db.kysely)).ok).toBe(true);
    });

    it("refuses a settlement that does not pay the order's price", async () => {
      const failure = await buy(3, price - 1n).catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: "PAYMENT_AMOUNT_MISMATCH" });
      // The transaction rolled back: nothing was deposited for this settlement.
      const id = chainTransferId("x402", "eip155:8453", settlement(3).transaction);
      expect(await ctx.ledger.getTransfer(store.db.kysely, id)).toBeNull();
      expect((await ctx.ledger.verify(store.db.kysely)).ok).toBe(true);
    });
  },
  { migrations: x402Migrations },
);

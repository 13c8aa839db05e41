import type { PaymentRequired, PaymentRequirements } from "@x402/core/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/kernel/clock.ts";
import {
  createX402Gate,
  encodePaymentHeader,
  type Facilitator,
  type Hex,
  x402Migrations,
} from "../../src/x402/index.ts";
import { TestStore } from "../support/stores.ts";

const store = new TestStore("sqlite");
beforeAll(async () => {
  await store.open({ migrations: x402Migrations });
});
afterAll(async () => {
  await store.close();
});

const payer: Hex = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
/** A facilitator that accepts every payment: these tests are about the gate itself. */
const accepting: Facilitator = {
  verify: async () => ({ isValid: true, payer }),
  settle: async (_p, r) => ({
    success: true,
    transaction: `0x${"ab".repeat(32)}`,
    network: r.network as never,
    payer,
  }),
  supported: async () => ({ kinds: [], extensions: [], signers: {} }),
};
const terms = {
  network: "eip155:8453" as const,
  asset: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913" as Hex,
  pay_to: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as Hex,
  eip712: { name: "USD Coin", version: "2" },
  max_timeout_seconds: 60,
};
const gateWithIds = () =>
  createX402Gate({ facilitator: accepting, terms, clock: systemClock, db: store.db.kysely });
const request = (amount_atomic: bigint, headers: Record<string, string> = {}) => ({
  headers,
  amount_atomic,
  resource: { url: "https://hub.example/paid", description: "the answer" },
  bazaar: { method: "POST" as const, input: { text: "x" } },
});

function paymentWith(accepted: PaymentRequirements, extension: unknown) {
  return encodePaymentHeader({
    x402Version: 2,
    accepted,
    payload: {
      signature: `0x${"11".repeat(65)}`,
      authorization: {
        from: payer,
        to: terms.pay_to,
        value: accepted.amount,
        validAfter: "0",
        validBefore: "4000000000",
        nonce: `0x${"22".repeat(32)}`,
      },
    },
    extensions: { "payment-identifier": extension },
  } as never);
}

describe("the x402 gate's shared 402s and payment identifiers", () => {
  it("builds a route's 402 once and hands the same frozen answer to later callers", async () => {
    const gate = gateWithIds();
    const a = await gate.challenge(request(10_000n), "Payment required");
    const b = await gate.challenge(request(10_000n), "Payment required");
    const other = await gate.challenge(request(20_000n), "Payment required");
    expect(b).toBe(a);
    expect(Object.isFrozen(a.payment_required)).toBe(true);
    expect(other).not.toBe(a);
    const accepts = (other.payment_required as unknown as PaymentRequired).accepts;
    expect(accepts[0]?.amount).toBe("20000");
  });

  it("judges an echoed payment identifier by the hub's rules, not by a schema the payer sent", async () => {
    const gate = gateWithIds();
    const required = (await gate.challenge(request(10_000n), "Payment required"))
      .payment_required as unknown as PaymentRequired;
    const accepted = required.accepts[0] as PaymentRequirements;
    // A schema no identifier could satisfy: the payer's schema is not what the hub declared.
    const header = paymentWith(accepted, {
      info: { required: false, id: `pay_${"c".repeat(24)}` },
      schema: { type: "string" },
    });
    const ok = await gate.check(request(10_000n, { "payment-signature": header }));
    expect(ok.kind).toBe("verified");
    if (ok.kind === "verified") expect(ok.payment.payment_id).toBe(`pay_${"c".repeat(24)}`);
    const short = paymentWith(accepted, { info: { required: false, id: "pay_short" } });
    const refused = await gate.check(request(10_000n, { "payment-signature": short }));
    expect(refused.kind === "refused" && refused.problem.code).toBe("X402_PAYMENT_ID_REQUIRED");
  });
});

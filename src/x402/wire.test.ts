import { existsSync, readFileSync } from "node:fs";
import { validateDiscoveryExtension } from "@x402/extensions/bazaar";
import { describe, expect, it } from "vitest";
import { chainTransferId } from "../flows/x402.ts";
import { decodeHeaderJson, decodePaymentHeader, encodePaymentHeader } from "./codec.ts";
import { x402Limits } from "./limits.ts";
import type { X402Terms } from "./model.ts";
import { challengeProblem } from "./payment.ts";
import { x402Problems } from "./problems.ts";
import {
  bazaarExtension,
  buildChallenge,
  requirementsV1,
  requirementsV2,
  v1NetworkOf,
} from "./requirements.ts";
import { createSerialQueue } from "./signer.ts";

const terms: X402Terms = {
  network: "eip155:8453",
  asset: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
  pay_to: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  eip712: { name: "USD Coin", version: "2" },
  max_timeout_seconds: 60,
};
const resource = { url: "https://hub.example/capabilities/x/y@v1/invoke", description: "y" };

async function v2Payload() {
  return {
    x402Version: 2,
    resource,
    accepted: await requirementsV2(terms, 1500n),
    payload: {
      signature: `0x${"11".repeat(65)}`,
      authorization: {
        from: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        to: terms.pay_to,
        value: "1500",
        validAfter: "0",
        validBefore: "1900000000",
        nonce: `0x${"22".repeat(32)}`,
      },
    },
  };
}

describe("x402 payment headers", () => {
  it("reads back a v2 payload written as standard base64 JSON", async () => {
    const payload = await v2Payload();
    const decoded = decodePaymentHeader(encodePaymentHeader(payload as never), 2);
    expect(decoded).toEqual({ ok: true, payload });
  });

  it("refuses text that is not base64 JSON of a payload of the header's version", async () => {
    const payload = await v2Payload();
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64");
    for (const [value, version] of [
      ["***", 2],
      [Buffer.from("{not json").toString("base64"), 2],
      [b64({ x402Version: 2 }), 2],
      [b64(payload), 1],
      ["e30-_w", 2],
    ] as const) {
      expect(decodePaymentHeader(value, version)).toEqual({
        ok: false,
        defect: "invalid_payment_header",
      });
    }
  });

  it("refuses a header larger than the limit before decoding it", () => {
    const huge = "A".repeat(x402Limits.payment_header_bytes_max + 4);
    expect(decodePaymentHeader(huge, 2)).toEqual({ ok: false, defect: "payment_header_too_large" });
  });
});

describe("x402 payment requirements", () => {
  it("prices the exact scheme in atomic units with the token's EIP-712 domain (v2)", async () => {
    expect(await requirementsV2(terms, 1500n)).toEqual({
      scheme: "exact",
      network: "eip155:8453",
      amount: "1500",
      asset: terms.asset,
      payTo: terms.pay_to,
      maxTimeoutSeconds: 60,
      extra: { name: "USD Coin", version: "2" },
    });
  });

  it("writes v1 requirements with the chain's v1 name, and none for chains v1 cannot name", () => {
    expect(requirementsV1(terms, 1500n, resource)).toMatchObject({
      network: "base",
      maxAmountRequired: "1500",
      resource: resource.url,
      payTo: terms.pay_to,
    });
    expect(v1NetworkOf("eip155:3338")).toBe("peaq");
    expect(requirementsV1({ ...terms, network: "eip155:31337" }, 1n, resource)).toBeNull();
  });

  it("declares a Bazaar extension crawlers accept, with the route template of the path", () => {
    const { bazaar } = bazaarExtension({
      method: "POST",
      input: { input: { text: "hi" } },
      route: {
        pattern: "/capabilities/:product/:capability/invoke",
        path: "/capabilities/text/slug@v1/invoke",
      },
    }) as { bazaar: Record<string, unknown> };
    expect(validateDiscoveryExtension(bazaar as never)).toMatchObject({ valid: true });
    expect(bazaar).toMatchObject({
      routeTemplate: "/capabilities/:product/:capability/invoke",
      info: { input: { method: "POST", pathParams: { product: "text", capability: "slug@v1" } } },
    });
  });

  it("builds a 402 with PAYMENT-REQUIRED, no-store, and the v1 body where v1 applies", async () => {
    const challenge = await buildChallenge({
      terms,
      amount_atomic: 1500n,
      resource,
      error: "Payment required",
    });
    const header = decodeHeaderJson(challenge.headers["PAYMENT-REQUIRED"] ?? "");
    expect(header).toEqual(challenge.payment_required);
    expect(challenge.headers["cache-control"]).toBe("no-store");
    expect(challenge.body).toMatchObject({ x402Version: 1, accepts: [{ network: "base" }] });
    const body = challengeProblem(challenge, x402Problems.X402_PAYMENT_REQUIRED, "pay").toBody();
    expect(body).toMatchObject({
      status: 402,
      code: "X402_PAYMENT_REQUIRED",
      x402Version: 1,
      accepts: [{ maxAmountRequired: "1500" }],
      payment_required: { x402Version: 2, accepts: [{ amount: "1500" }] },
    });
  });
});

describe("x402 supporting pieces", () => {
  it("runs queued work one at a time in call order, past failures", async () => {
    const queue = createSerialQueue();
    const seen: number[] = [];
    let running = 0;
    const job = (i: number) =>
      queue(async () => {
        running++;
        expect(running).toBe(1);
        await new Promise((r) => setImmediate(r));
        seen.push(i);
        running--;
        if (i === 1) throw new Error("job 1 fails");
      });
    const results = await Promise.allSettled([job(0), job(1), job(2)]);
    expect(seen).toEqual([0, 1, 2]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  });

  it("names a chain transaction on the ledger within 64 characters, one id per hash", () => {
    const hash = `0x${"ab".repeat(32)}`;
    const id = chainTransferId("x402", "eip155:8453", hash);
    expect(id).toBe(chainTransferId("x402", "eip155:8453", hash.toUpperCase().replace("0X", "0x")));
    expect(id).toMatch(/^x402:8453:[A-Za-z0-9_-]{43}$/);
    expect(id).not.toBe(chainTransferId("x402", "eip155:1", hash));
    // A v1 settlement names its network the v1 way; it is the same chain.
    expect(chainTransferId("x402", "base", hash)).toBe(id);
  });

  it("documents every x402 problem code with its title and status", () => {
    for (const spec of Object.values(x402Problems)) {
      const page = new URL(`../../docs/problems/${spec.code}.md`, import.meta.url);
      expect(existsSync(page), spec.code).toBe(true);
      const text = readFileSync(page, "utf8");
      expect(text, spec.code).toContain(spec.title);
      expect(text, spec.code).toContain(`HTTP ${spec.status}`);
    }
  });
});

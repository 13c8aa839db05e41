import { describe, expect, it } from "vitest";
import type { PeacTxtFailure, PeacTxtResult, PeacTxtSuccess } from "./model.ts";
import { parsePeacTxt } from "./peactxt.ts";

function accepted(result: PeacTxtResult): PeacTxtSuccess {
  if (!result.ok) throw new Error(`expected acceptance, got ${result.code}: ${result.message}`);
  return result;
}

function rejected(result: PeacTxtResult): PeacTxtFailure {
  if (result.ok) throw new Error("expected the document to be rejected");
  return result;
}

/** The seed README's example, verbatim. */
const SEED_EXAMPLE = `# /.well-known/peac.txt
version: 0.9.14
usage: conditional
price: $0.001/request
currency: USD
payment_methods: [x402]
attribution: required
attribution_format: "Source: {url}"
consent: optional
privacy_policy: https://example.com/privacy
data_retention: P30D
purposes: [research, commercial, training]
rate_limit: 1000/hour
free_quota: 100
negotiate: https://api.example.com/peac/negotiate
`;

const seed = (extra: string) => `version: 0.9.14\nusage: conditional\n${extra}`;
const upstream = (extra: string) => `version: "peac-policy/0.1"\nusage: conditional\n${extra}`;

describe("the seed 0.9.14 profile", () => {
  it("reads the seed's own example into the normalised policy", () => {
    const result = accepted(parsePeacTxt(SEED_EXAMPLE));
    expect(result.format).toBe("seed-0.9.14");
    expect(result.warnings).toEqual([]);
    const { raw, declared, ...policy } = result.policy;
    expect(policy).toEqual({
      format: "seed-0.9.14",
      version: "0.9.14",
      usage: "conditional",
      purposes_allowed: ["research", "commercial", "training"],
      purposes_prohibited: [],
      receipts: "required",
      attribution: { requirement: "required", format: "Source: {url}" },
      rate_limit: { kind: "window", count: 1000, period: "hour", window_ms: 3_600_000 },
      daily_limit: null,
      price: { amount: "0.001", amount_minor: 1n, decimals: 3, currency: "USD", per: "request" },
      free_quota: 100,
      payment_methods: ["x402"],
      payment_endpoint: null,
      negotiate: "https://api.example.com/peac/negotiate",
      privacy_policy: "https://example.com/privacy",
      contact: null,
      license: null,
      consent: "optional",
      data_retention: { iso: "P30D", ms: 30 * 86_400_000 },
    });
    expect(declared).toEqual(raw);
  });

  it("is invalid under the upstream rules, as the reference says", () => {
    const result = rejected(parsePeacTxt(SEED_EXAMPLE, { formats: ["peac-policy/0.1"] }));
    expect(result.pointer).toBe("/version");
  });

  it("prices exactly: whole dollars keep the currency's cents", () => {
    const price = accepted(parsePeacTxt(seed("price: $1/request\ncurrency: USD"))).policy.price;
    expect(price).toMatchObject({ amount: "1.00", amount_minor: 100n, decimals: 2 });
  });

  it("takes the currency from the symbol when the field is absent", () => {
    const price = accepted(parsePeacTxt(seed("price: €0.25/request"))).policy.price;
    expect(price).toMatchObject({ amount_minor: 25n, decimals: 2, currency: "EUR" });
  });

  it("warns when neither a symbol nor a currency field names the currency", () => {
    const result = accepted(parsePeacTxt(seed("price: 0.5/request")));
    expect(result.policy.price).toMatchObject({ amount_minor: 5n, decimals: 1, currency: null });
    expect(result.warnings.map((w) => w.code)).toEqual(["price_without_currency"]);
  });

  it("rejects float prices, a missing unit, a clashing currency and too many decimals", () => {
    const cases = [
      "price: 0.001",
      "price: $0.001",
      "price: $0.001/byte",
      "price: -$1/request",
      "price: $1/request\ncurrency: EUR",
      "price: $0.0000000000001/request",
      'price: "$1e3/request"',
    ];
    for (const extra of cases) {
      expect(rejected(parsePeacTxt(seed(extra))).pointer, extra).toBe("/price");
    }
  });

  it("reads ISO-8601 retention periods and refuses prose", () => {
    const hours = accepted(parsePeacTxt(seed("data_retention: PT12H"))).policy.data_retention;
    expect(hours).toEqual({ iso: "PT12H", ms: 12 * 3_600_000 });
    const year = accepted(parsePeacTxt(seed("data_retention: P1Y"))).policy.data_retention;
    expect(year).toEqual({ iso: "P1Y", ms: null });
    for (const text of ["30 days", "P", "PT", "P1DT"]) {
      expect(rejected(parsePeacTxt(seed(`data_retention: ${text}`))).pointer).toBe(
        "/data_retention",
      );
    }
  });

  it("accepts public_keys but warns that peac.txt is not a key source", () => {
    const result = accepted(parsePeacTxt(seed("public_keys: [abc]")));
    expect(result.warnings.map((w) => w.code)).toEqual(["public_keys_ignored"]);
  });

  it("rejects a free quota that is not a whole number", () => {
    for (const value of ["-1", "1.5", '"100"']) {
      expect(rejected(parsePeacTxt(seed(`free_quota: ${value}`))).pointer).toBe("/free_quota");
    }
  });
});

describe("the peac-policy/0.1 format", () => {
  it("reads price as minor units of the currency", () => {
    const result = accepted(parsePeacTxt(upstream("price: 10\ncurrency: USD")));
    expect(result.policy.price).toEqual({
      amount: "0.10",
      amount_minor: 10n,
      decimals: 2,
      currency: "USD",
      per: "request",
    });
    const yen = accepted(parsePeacTxt(upstream("price: 10\ncurrency: JPY"))).policy.price;
    expect(yen).toMatchObject({ amount: "10", decimals: 0 });
  });

  it("rejects prices that are negative, fractional or strings", () => {
    for (const value of ["-1", "10.5", '"10"', "$0.10/request"]) {
      expect(rejected(parsePeacTxt(upstream(`price: ${value}`))).pointer, value).toBe("/price");
    }
  });

  it("rejects a currency that is not an ISO 4217 code", () => {
    for (const value of ["usd", "USDC", "$"]) {
      expect(rejected(parsePeacTxt(upstream(`currency: "${value}"`))).pointer).toBe("/currency");
    }
  });

  it("derives receipts from usage when the document is silent", () => {
    expect(accepted(parsePeacTxt(upstream(""))).policy.receipts).toBe("required");
    const open = accepted(parsePeacTxt('version: "peac-policy/0.1"\nusage: open'));
    expect(open.policy.receipts).toBe("optional");
    expect(accepted(parsePeacTxt(upstream("receipts: omit"))).policy.receipts).toBe("omit");
  });

  it("checks the enumerations of receipts and attribution", () => {
    expect(rejected(parsePeacTxt(upstream("receipts: always"))).pointer).toBe("/receipts");
    expect(rejected(parsePeacTxt(upstream("attribution: yes"))).pointer).toBe("/attribution");
  });

  it("reads rate limits by the grammar and refuses other units", () => {
    const limit = (text: string) => parsePeacTxt(upstream(`rate_limit: ${text}`));
    expect(accepted(limit("unlimited")).policy.rate_limit).toEqual({ kind: "unlimited" });
    expect(accepted(limit("60/minute")).policy.rate_limit).toMatchObject({ window_ms: 60_000 });
    for (const text of ["100/week", "100 per hour", "-1/hour", "1.5/day", "/hour"]) {
      expect(rejected(limit(text)).pointer, text).toBe("/rate_limit");
    }
  });

  it("accepts well-known and namespaced custom purposes and names a bad one's index", () => {
    const ok = accepted(parsePeacTxt(upstream("purposes: [train, acme:summarise_v2]")));
    expect(ok.policy.purposes_allowed).toEqual(["train", "acme:summarise_v2"]);
    const bad = rejected(parsePeacTxt(upstream("purposes: [crawl, Train]")));
    expect(bad).toMatchObject({
      message: 'Invalid purpose token: "Train"',
      pointer: "/purposes/1",
    });
  });

  it("keeps a URL field that is not http(s) out of enforcement, with a warning", () => {
    const result = accepted(parsePeacTxt(upstream("negotiate: javascript:alert(1)")));
    expect(result.policy.negotiate).toBeNull();
    expect(result.policy.declared.negotiate).toBe("javascript:alert(1)");
    expect(result.warnings.map((w) => w.pointer)).toEqual(["/negotiate"]);
  });

  it("ignores unknown fields with a warning and keeps them in raw", () => {
    const result = accepted(parsePeacTxt(upstream("future_field: 1")));
    expect(result.warnings).toEqual([
      {
        code: "unknown_field",
        message: 'Unknown field "future_field" is ignored',
        pointer: "/future_field",
      },
    ]);
    expect(result.policy.raw.future_field).toBe(1);
    expect(result.policy.declared).not.toHaveProperty("future_field");
  });
});

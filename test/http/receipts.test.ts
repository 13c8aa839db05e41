import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/kernel/ids.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";

describe("receipts over HTTP", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  async function issue(order_id = newId("ord")) {
    const { ctx } = t.hub;
    return ctx.db.transaction((tx) =>
      ctx.receipts.issue(
        tx,
        {
          kind: "payment",
          subject: "prn_x",
          order_id,
          payment_rail: "agx-ledger",
          money: { amount_minor: 250_000n, asset: "USDC", decimals: 6 },
        },
        { nonce: newId("pay") },
      ),
    );
  }

  it("publishes the JWKS with ETag and Cache-Control, and answers 304 to a matching If-None-Match", async () => {
    const res = await t.hub.app.inject({ method: "GET", url: "/.well-known/jwks.json" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/jwk-set+json");
    expect(res.headers["cache-control"]).toMatch(/^public, max-age=\d+$/);
    const keys = JSON.parse(res.body).keys;
    expect(keys.length).toBe(2);
    for (const k of keys)
      expect(k).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    expect(keys[0]).not.toHaveProperty("d");
    const again = await t.hub.app.inject({
      method: "GET",
      url: "/.well-known/jwks.json",
      headers: { "if-none-match": String(res.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
  });

  it("publishes a peac-issuer.json pointing at the JWKS and the verifier", async () => {
    const res = await t.call("GET", "/.well-known/peac-issuer.json");
    expect(res.body).toMatchObject({
      version: "peac-issuer/0.1",
      algorithms: ["EdDSA"],
      revoked_keys: [],
    });
    expect(res.body.jwks_uri).toMatch(/\/\.well-known\/jwks\.json$/);
  });

  it("serves a stored receipt by id and by payment nonce, and verifies it with its chain", async () => {
    const order = newId("ord");
    await issue(order);
    const r = await issue(order);
    const byId = await t.call("GET", `/peac/receipts/${r.id}`);
    expect(byId.body).toMatchObject({ id: r.id, jws: r.jws, order_id: order });
    const verified = await t.call("POST", "/v1/verify", { body: { receipt: r.jws } });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({
      valid: true,
      profile: "peac-0.9",
      chain: { ok: true, length: 2 },
    });
    expect((await t.call("GET", "/peac/receipts/rcpt_00000000000000000000000000")).body.code).toBe(
      "RECEIPT_NOT_FOUND",
    );
  });

  it("answers a forged receipt with the problem code of what is wrong", async () => {
    const r = await issue();
    const [h, p] = r.jws.split(".");
    const res = await t.call("POST", "/v1/verify", {
      body: { receipt: `${h}.${p}.${"A".repeat(86)}` },
    });
    expect(res.status).toBe(422);
    expect(res.headers["content-type"]).toMatch(/problem\+json/);
    expect(res.body.code).toBe("RECEIPT_SIGNATURE_INVALID");
    expect((await t.call("POST", "/v1/verify", { body: { receipt: "x.y" } })).body.code).toBe(
      "RECEIPT_MALFORMED",
    );
  });
});

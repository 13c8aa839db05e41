import { createPublicKey } from "node:crypto";
import { verify as peacVerify } from "@peac/crypto";
import { parseReceiptClaims } from "@peac/schema";
import { CompactSign, SignJWT } from "jose";
import { beforeAll, expect, it } from "vitest";
import { describeStores } from "../../test/support/stores.ts";
import { manualClock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { canonicalJson } from "../kernel/json.ts";
import {
  createKeySet,
  createReceipts,
  type ReceiptRequest,
  receiptHeaders,
  verifyReceipt,
} from "./index.ts";

const DAY_MS = 86_400_000;
const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
const payment = (order_id = newId("ord")): ReceiptRequest => ({
  kind: "payment",
  subject: "prn_buyer",
  purpose: "inference",
  order_id,
  payment_id: newId("pay"),
  money: { amount_minor: 1_500_000n, asset: "USDC", decimals: 6 },
  payment_rail: "x402",
});

describeStores("receipts", (store) => {
  const clock = manualClock(Date.UTC(2026, 10, 1));
  const keys = createKeySet({ clock, overlap_ms: 30 * DAY_MS, cache_ms: 0 });
  const seed = createReceipts({
    clock,
    keys,
    profile: "peac-0.9",
    public_url: "https://hub.example",
  });
  const wire = createReceipts({
    clock,
    keys,
    profile: "peac-wire-0.2",
    public_url: "https://hub.example",
  });

  beforeAll(() => keys.ensure(store.db.kysely));

  it("signs a seed receipt: typ peac.receipt/0.9, EdDSA, kid, JCS payload with integer iat", async () => {
    const r = await seed.issue(store.db.kysely, { ...payment(), expires_in_s: 3600 });
    const [h = "", p = ""] = r.jws.split(".");
    expect(decode(h)).toEqual({ alg: "EdDSA", typ: "peac.receipt/0.9", kid: r.kid });
    const payload = decode(p);
    expect(Buffer.from(p, "base64url").toString("utf8")).toBe(canonicalJson(payload));
    expect(payload).toMatchObject({
      id: r.id,
      kid: r.kid,
      issuer: "https://hub.example",
      subject: "prn_buyer",
      amount: "1.500000",
      currency: "USDC",
      payment: { scheme: "x402" },
      exp: payload.iat + 3600,
    });
    expect(Number.isInteger(payload.iat)).toBe(true);
    expect(payload).not.toHaveProperty("issued_at");
    expect(await seed.verify(store.db.kysely, r.jws)).toMatchObject({
      valid: true,
      profile: "peac-0.9",
    });
  });

  it("signs a Wire 0.2 receipt that the independent @peac/crypto and @peac/schema accept", async () => {
    const r = await wire.issue(store.db.kysely, { ...payment(), expires_in_s: 3600 });
    const [h = ""] = r.jws.split(".");
    expect(decode(h).typ).toBe("interaction-record+jwt");
    const jwk = (await keys.published(store.db.kysely)).find((k) => k.kid === r.kid)?.public_jwk;
    const result = await peacVerify(r.jws, new Uint8Array(Buffer.from(jwk?.x ?? "", "base64url")));
    expect(result.valid).toBe(true);
    expect(result.payload).not.toHaveProperty("exp");
    const parsed = parseReceiptClaims(result.payload as Record<string, unknown>);
    expect(parsed.ok).toBe(true);
    expect(result.payload).toMatchObject({
      peac_version: "0.2",
      kind: "evidence",
      type: "org.peacprotocol/payment",
      iss: "https://hub.example",
      jti: r.id,
      extensions: {
        "org.peacprotocol/commerce": {
          payment_rail: "x402",
          amount_minor: "1500000",
          currency: "USDC",
        },
      },
    });
    expect(await wire.verify(store.db.kysely, r.jws)).toMatchObject({
      valid: true,
      profile: "peac-wire-0.2",
    });
  });

  it("refuses tampered payloads, unknown kids and swapped kids", async () => {
    const r = await seed.issue(store.db.kysely, payment());
    const [h = "", p = "", s = ""] = r.jws.split(".");
    const tampered = { ...decode(p), amount: "0.000001" };
    const forged = `${h}.${Buffer.from(canonicalJson(tampered)).toString("base64url")}.${s}`;
    expect(await seed.verify(store.db.kysely, forged)).toMatchObject({
      valid: false,
      code: "RECEIPT_SIGNATURE_INVALID",
    });
    const unknownKid = Buffer.from(JSON.stringify({ ...decode(h), kid: "rk_nope" })).toString(
      "base64url",
    );
    expect(await seed.verify(store.db.kysely, `${unknownKid}.${p}.${s}`)).toMatchObject({
      code: "RECEIPT_KID_UNKNOWN",
    });
    const other = (await keys.published(store.db.kysely)).find((k) => k.kid !== r.kid);
    const swapped = Buffer.from(JSON.stringify({ ...decode(h), kid: other?.kid })).toString(
      "base64url",
    );
    const result = await seed.verify(store.db.kysely, `${swapped}.${p}.${s}`);
    expect(result.valid).toBe(false);
  });

  it("refuses alg none, HS256 keyed with the public key, and foreign typ", async () => {
    const r = await seed.issue(store.db.kysely, payment());
    const [h = "", p = ""] = r.jws.split(".");
    const none = Buffer.from(
      JSON.stringify({ alg: "none", typ: "peac.receipt/0.9", kid: r.kid }),
    ).toString("base64url");
    expect(await seed.verify(store.db.kysely, `${none}.${p}.`)).toMatchObject({
      code: "RECEIPT_ALG_NOT_ALLOWED",
    });
    const pub =
      (await keys.published(store.db.kysely)).find((k) => k.kid === r.kid)?.public_jwk.x ?? "";
    const hs = await new SignJWT(decode(p))
      .setProtectedHeader({ alg: "HS256", typ: "peac.receipt/0.9", kid: r.kid })
      .sign(new TextEncoder().encode(pub));
    expect(await seed.verify(store.db.kysely, hs)).toMatchObject({
      code: "RECEIPT_ALG_NOT_ALLOWED",
    });
    const jwtTyp = Buffer.from(JSON.stringify({ ...decode(h), typ: "JWT" })).toString("base64url");
    expect(await seed.verify(store.db.kysely, `${jwtTyp}.${p}.x`)).toMatchObject({
      code: "RECEIPT_TYP_INVALID",
    });
    expect(await seed.verify(store.db.kysely, "not-a-jws")).toMatchObject({
      code: "RECEIPT_MALFORMED",
    });
  });

  it("refuses a seed receipt whose payload kid differs from its header kid", async () => {
    const key = await keys.signingKey(store.db.kysely);
    const jws = await new CompactSign(
      new TextEncoder().encode(canonicalJson({ iat: 1_790_000_000, kid: "rk_other" })),
    )
      .setProtectedHeader({ alg: "EdDSA", typ: "peac.receipt/0.9", kid: key.kid })
      .sign(key.privateKey);
    expect(await seed.verify(store.db.kysely, jws)).toMatchObject({ code: "RECEIPT_KID_MISMATCH" });
  });

  it("honours exp on seed receipts and refuses receipts issued in the future", async () => {
    const r = await seed.issue(store.db.kysely, { ...payment(), expires_in_s: 60 });
    clock.advance(121_000);
    expect(await seed.verify(store.db.kysely, r.jws)).toMatchObject({ code: "RECEIPT_EXPIRED" });
    clock.advance(-121_000 - 600_000);
    expect(await seed.verify(store.db.kysely, r.jws)).toMatchObject({
      code: "RECEIPT_NOT_YET_VALID",
    });
    clock.advance(600_000);
  });

  it("refuses a malleable signature (S + L) that OpenSSL alone would accept", async () => {
    const r = await seed.issue(store.db.kysely, payment());
    const [h = "", p = "", s = ""] = r.jws.split(".");
    const sig = Buffer.from(s, "base64url");
    let scalar = 0n;
    for (let i = 63; i >= 32; i--) scalar = (scalar << 8n) | BigInt(sig[i] ?? 0);
    scalar += 2n ** 252n + 27742317777372353535851937790883648493n;
    for (let i = 32; i < 64; i++) {
      sig[i] = Number(scalar & 0xffn);
      scalar >>= 8n;
    }
    const result = await seed.verify(store.db.kysely, `${h}.${p}.${sig.toString("base64url")}`);
    expect(result).toMatchObject({ valid: false, code: "RECEIPT_SIGNATURE_INVALID" });
  });

  it("chains the receipts of one order and proves the chain", async () => {
    const order_id = newId("ord");
    const a = await seed.issue(store.db.kysely, { kind: "quote", subject: "prn_b", order_id });
    const b = await wire.issue(store.db.kysely, { ...payment(order_id) });
    const c = await seed.issue(store.db.kysely, {
      kind: "result",
      subject: "prn_b",
      order_id,
      response_digest: "sha256:00",
    });
    expect([a.prev_id, b.prev_id, c.prev_id]).toEqual([null, a.id, b.id]);
    expect(await seed.verifyChain(store.db.kysely, order_id)).toEqual({ ok: true, length: 3 });
  });

  it("stores a transaction's receipts at commit, readable and chained inside it, none on rollback", async () => {
    const order_id = newId("ord");
    const inside = await store.db.transaction(async (tx) => {
      const a = await seed.issue(tx, { kind: "quote", subject: "prn_b", order_id });
      const b = await wire.issue(tx, payment(order_id));
      const read = await seed.get(tx, b.id);
      const c = await seed.issue(tx, { kind: "result", subject: "prn_b", order_id });
      return { ids: [a.id, b.id, c.id], prevs: [a.prev_id, b.prev_id, c.prev_id], read };
    });
    expect(inside.read.jws).toBeTruthy();
    expect(inside.prevs).toEqual([null, inside.ids[0], inside.ids[1]]);
    const stored = await seed.chainOf(store.db.kysely, order_id);
    expect(stored.map((r) => r.id)).toEqual(inside.ids);
    expect(await seed.verifyChain(store.db.kysely, order_id)).toEqual({ ok: true, length: 3 });

    const lost = newId("ord");
    await expect(
      store.db.transaction(async (tx) => {
        await seed.issue(tx, { kind: "quote", subject: "prn_b", order_id: lost });
        throw new Error("the change this receipt proves failed");
      }),
    ).rejects.toThrow("failed");
    expect(await seed.chainOf(store.db.kysely, lost)).toEqual([]);
  });

  it("refuses, at the latest when it commits, a transaction that forks a chain", async () => {
    const order_id = newId("ord");
    await seed.issue(store.db.kysely, { kind: "quote", subject: "prn_b", order_id });
    await expect(
      store.db.transaction(async (tx) => {
        await seed.issue(tx, payment(order_id), { cursor: { head: null } });
      }),
    ).rejects.toThrow();
    expect((await seed.chainOf(store.db.kysely, order_id)).map((r) => r.kind)).toEqual(["quote"]);
  });

  it("keeps old receipts verifiable across a rotation and unpublishes retired keys after the overlap", async () => {
    const before = await seed.issue(store.db.kysely, payment());
    const publishedBefore = (await keys.published(store.db.kysely)).map((k) => k.kid);
    const { retired, active, next } = await keys.rotate(store.db.kysely);
    expect(retired).toBe(before.kid);
    expect(publishedBefore).toContain(active); // the new signing key was published before use
    const after = await seed.issue(store.db.kysely, payment());
    expect(after.kid).toBe(active);
    expect(new Set([retired, active, next]).size).toBe(3);
    expect((await keys.published(store.db.kysely)).map((k) => k.kid)).toContain(retired);
    expect((await seed.verify(store.db.kysely, before.jws)).valid).toBe(true);
    clock.advance(30 * DAY_MS + 1);
    expect((await keys.published(store.db.kysely)).map((k) => k.kid)).not.toContain(retired);
    clock.advance(-(30 * DAY_MS + 1));
  });

  it("refuses receipts of a revoked key", async () => {
    const r = await seed.issue(store.db.kysely, payment());
    await keys.rotate(store.db.kysely);
    expect(await keys.revoke(store.db.kysely, r.kid, "compromised")).toBe(true);
    expect(await seed.verify(store.db.kysely, r.jws)).toMatchObject({
      code: "RECEIPT_KEY_REVOKED",
    });
    expect((await keys.revoked(store.db.kysely)).map((k) => k.kid)).toContain(r.kid);
  });

  it("sends a large receipt as a PEAC-Receipt-Pointer instead of an oversize header", async () => {
    const small = await seed.issue(store.db.kysely, payment());
    expect(Object.keys(receiptHeaders(small, "https://hub.example/peac/receipts/x"))).toEqual([
      "PEAC-Receipt",
    ]);
    const big = await seed.issue(store.db.kysely, {
      ...payment(),
      details: { note: "x".repeat(5000) },
    });
    const headers = receiptHeaders(big, `https://hub.example/peac/receipts/${big.id}`);
    expect(Object.keys(headers)).toEqual(["PEAC-Receipt-Pointer"]);
    expect(headers["PEAC-Receipt-Pointer"]).toMatch(
      /^sha256="[0-9a-f]{64}", url="https:\/\/hub\.example\/peac\/receipts\/rcpt_/,
    );
  });
});

it("refuses small-order Ed25519 public keys even with a signature OpenSSL accepts", async () => {
  // The identity point (y = 1) is small order: with it, S = 0 "signs" every message.
  const raw = new Uint8Array(32);
  raw[0] = 1;
  const header = Buffer.from(
    JSON.stringify({ alg: "EdDSA", typ: "peac.receipt/0.9", kid: "weak" }),
  ).toString("base64url");
  const payload = Buffer.from(canonicalJson({ iat: 1_790_000_000 })).toString("base64url");
  const sig = Buffer.concat([Buffer.from(raw), Buffer.alloc(32)]).toString("base64url");
  const key = createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(raw).toString("base64url") },
    format: "jwk",
  });
  const result = await verifyReceipt(`${header}.${payload}.${sig}`, {
    resolveKey: async () => ({ key, raw, revoked: false }),
    now_s: 1_790_000_000,
  });
  expect(result).toMatchObject({ valid: false, code: "RECEIPT_KEY_WEAK" });
});

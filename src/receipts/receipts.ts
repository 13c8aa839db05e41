import { createPublicKey } from "node:crypto";
import type { Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { canonicalJson, sha256Hex } from "../kernel/json.ts";
import { Problem } from "../kernel/problem.ts";
import { canonicalIssuer, seedPayload, wire02Payload } from "./claims.ts";
import { signEdDsaJws } from "./jws.ts";
import type { KeySet } from "./keys.ts";
import {
  type ReceiptProfile,
  type ReceiptRequest,
  type StoredReceipt,
  TYP_SEED,
  TYP_WIRE02,
  type VerifyResult,
} from "./model.ts";
import { receiptProblems } from "./problems.ts";
import * as store from "./store.ts";
import { type KeyLookup, verifyReceipt } from "./verify.ts";

export interface ReceiptsDeps {
  clock: Clock;
  keys: KeySet;
  /** The profile new receipts use; both always verify. */
  profile: ReceiptProfile;
  /** The hub's public URL (or how to get it once the port is known); names the issuer. */
  public_url: string | (() => string);
}

/** PEAC's receipt_ref: `sha256:` + hex of the compact JWS bytes. */
export function receiptRef(jws: string): string {
  return `sha256:${sha256Hex(jws)}`;
}

/** Largest PEAC-Receipt header value sent inline; larger receipts travel by pointer. */
export const RECEIPT_HEADER_BYTES_MAX = 4096;

/** Where a receipt chain stands, as the caller that is extending it knows. */
export interface ChainCursor {
  head: { id: string; seq: number } | null;
}

/** Issues, stores, chains and verifies receipts. Issue inside the caller's transaction. */
export function createReceipts(deps: ReceiptsDeps) {
  const { clock, keys } = deps;
  const publicUrl = () =>
    typeof deps.public_url === "string" ? deps.public_url : deps.public_url();
  // The public URL is fixed once the hub listens: parse it once per value, not per receipt.
  let named: { url: string; wire: string; seed: string } | null = null;
  const issuers = () => {
    const url = publicUrl();
    if (named?.url !== url) named = { url, wire: canonicalIssuer(url), seed: new URL(url).origin };
    return { wire: named.wire, seed: named.seed };
  };

  async function sign(
    ex: Executor,
    profile: ReceiptProfile,
    request: ReceiptRequest,
    id: string,
    prev_id: string | null,
  ): Promise<{ jws: string; kid: string }> {
    const key = await keys.signingKey(ex);
    const links = { id, kid: key.kid, iat_s: Math.floor(clock.now_ms() / 1000), prev_id };
    const seed = profile === "peac-0.9";
    const { wire, seed: seedIssuer } = issuers();
    const payload = seed
      ? seedPayload(request, { ...links, issuer: seedIssuer })
      : wire02Payload(request, { ...links, issuer: wire });
    // Seed receipts sign the JCS bytes; Wire 0.2 signs the JSON text (JCS is only for digests).
    const bytes = seed ? canonicalJson(payload) : JSON.stringify(payload);
    const header = { alg: "EdDSA", typ: seed ? TYP_SEED : TYP_WIRE02, kid: key.kid };
    const jws = signEdDsaJws(header, Buffer.from(bytes), key.privateKey);
    return { jws, kid: key.kid };
  }

  /**
   * Signs and stores a receipt, linking it to the previous receipt of its chain. A caller that
   * issues several receipts of one chain in a row passes a `cursor` (`{ head: null }` for a chain
   * it just started): the head is then not read, and the cursor moves to the new receipt. A wrong
   * cursor cannot fork a chain: the (chain_key, chain_seq) unique key refuses the insert.
   */
  async function issue(
    tx: Executor,
    request: ReceiptRequest,
    options: { profile?: ReceiptProfile; nonce?: string; cursor?: ChainCursor } = {},
  ): Promise<StoredReceipt> {
    const profile = options.profile ?? deps.profile;
    const chain_key = request.chain_key ?? request.order_id ?? null;
    const head =
      chain_key === null
        ? null
        : options.cursor
          ? options.cursor.head
          : await store.chainHead(tx, chain_key);
    const id = newId("rcpt", clock.now_ms());
    const { jws, kid } = await sign(tx, profile, request, id, head?.id ?? null);
    const receipt: StoredReceipt = {
      id,
      profile,
      kind: request.kind,
      kid,
      jws,
      ref: receiptRef(jws),
      chain_key,
      prev_id: head?.id ?? null,
      order_id: request.order_id ?? null,
      payment_id: request.payment_id ?? null,
      request_digest: request.request_digest ?? null,
      response_digest: request.response_digest ?? null,
      created_at_ms: clock.now_ms(),
    };
    // The (chain_key, chain_seq) unique key turns a concurrent fork of one chain into an error.
    await store.insertReceipt(tx, {
      ...receipt,
      chain_seq: chain_key ? (head?.seq ?? 0) + 1 : null,
      nonce: options.nonce ?? null,
    });
    if (options.cursor && chain_key !== null) {
      options.cursor.head = { id, seq: (head?.seq ?? 0) + 1 };
    }
    return receipt;
  }

  /** Every key this hub ever used (revoked ones flagged): it may verify its own old receipts. */
  function lookup(ex: Executor): KeyLookup {
    return async (kid) => {
      const key = (await store.allKeys(ex)).find((k) => k.kid === kid);
      if (!key) return null;
      const x = key.public_jwk.x;
      return {
        key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" }),
        raw: Buffer.from(x, "base64url"),
        revoked: key.state === "revoked",
      };
    };
  }

  /** Verifies a receipt against this hub's keys; other hubs' receipts need their JWKS. */
  async function verify(ex: Executor, jws: string): Promise<VerifyResult> {
    return verifyReceipt(jws, { resolveKey: lookup(ex), now_s: Math.floor(clock.now_ms() / 1000) });
  }

  /** Verifies every receipt of a chain and that each links to the one before it. */
  async function verifyChain(ex: Executor, chain_key: string) {
    const chain = await store.chainOf(ex, chain_key);
    let prev: string | null = null;
    for (const r of chain) {
      const result = await verify(ex, r.jws);
      if (!result.valid)
        return { ok: false as const, at: r.id, code: result.code, reason: result.reason };
      const linked = linkOf(result.payload);
      if (linked !== prev || r.prev_id !== prev) {
        return {
          ok: false as const,
          at: r.id,
          code: "RECEIPT_CHAIN_BROKEN",
          reason: `expected prev ${prev}`,
        };
      }
      prev = r.id;
    }
    return { ok: true as const, length: chain.length };
  }

  async function get(ex: Executor, id: string): Promise<StoredReceipt> {
    const r = await store.getReceipt(ex, id);
    if (!r) throw new Problem(receiptProblems.RECEIPT_NOT_FOUND, `no receipt ${id}`);
    return r;
  }

  return {
    issue,
    verify,
    verifyChain,
    get,
    byNonce: store.receiptByNonce,
    chainOf: store.chainOf,
    /** The issuer names: `wire` (Wire 0.2 `iss`) and `seed` (seed `issuer`). */
    issuers,
    lookup,
  };
}

export type Receipts = ReturnType<typeof createReceipts>;

function linkOf(payload: Record<string, unknown>): string | null {
  const ext = (payload.extensions as Record<string, { prev?: string | null }> | undefined)?.[
    "dev.agx/receipt"
  ];
  const prev = ext ? ext.prev : payload.prev;
  return typeof prev === "string" ? prev : null;
}

/**
 * The headers that carry a receipt on an HTTP response: exactly one `PEAC-Receipt`, or, when
 * the JWS is too large for a header, `PEAC-Receipt-Pointer` (RFC 9651 dictionary).
 */
export function receiptHeaders(receipt: StoredReceipt, url: string): Record<string, string> {
  if (Buffer.byteLength(receipt.jws) <= RECEIPT_HEADER_BYTES_MAX) {
    return { "PEAC-Receipt": receipt.jws };
  }
  return { "PEAC-Receipt-Pointer": `sha256="${sha256Hex(receipt.jws)}", url="${url}"` };
}

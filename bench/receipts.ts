/**
 * Receipts: issue/s and verify/s of agx beside the independent @peac/crypto in the same run.
 * agx issue = Wire 0.2 payload → compact JWS (jose over node:crypto); verify = agx's full
 * verifier (shape, header rules, small-order key and canonical-S checks, signature, claims).
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import { generateKeypair, verify as peacVerify, signWire02 } from "@peac/crypto";
import { verifyReceipt } from "../src/receipts/index.ts";
import { signEdDsaJws } from "../src/receipts/jws.ts";
import { pad, ratioText } from "./support.ts";

export interface ReceiptRow {
  case: string;
  agx: number;
  peer: number;
}

async function rate(n: number, work: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(200, n); i++) await work(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await work(i);
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Receipt issue and verify rates of agx beside @peac/crypto on the same key and payload. */
export async function benchReceipts(scale: number): Promise<ReceiptRow[]> {
  const n = Math.max(500, Math.round(20_000 * scale));
  const { privateKey: peacPriv, publicKey: peacPub } = await generateKeypair();
  // The same key for both sides, so only the code differs.
  const pkcs8 = Buffer.concat([
    Buffer.from("302e020100300506032b657004220420", "hex"),
    Buffer.from(peacPriv),
  ]);
  const privateKey = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  const x = Buffer.from(peacPub).toString("base64url");
  const publicKey = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
  const payload = (i: number) => ({
    peac_version: "0.2",
    kind: "evidence",
    type: "org.peacprotocol/payment",
    iss: "https://hub.example",
    iat: 1_790_000_000,
    jti: `rcpt_${i}`,
    sub: "prn_buyer",
    extensions: {
      "org.peacprotocol/commerce": { payment_rail: "x402", amount_minor: "1000", currency: "USDC" },
    },
  });
  const header = { alg: "EdDSA", typ: "interaction-record+jwt", kid: "k1" };
  const agxSign = async (i: number) =>
    signEdDsaJws(header, Buffer.from(JSON.stringify(payload(i))), privateKey);
  const agxIssue = await rate(n, agxSign);
  const peacIssue = await rate(n, (i) => signWire02(payload(i), peacPriv, "k1"));
  const jws = await agxSign(1);
  const raw = new Uint8Array(Buffer.from(x, "base64url"));
  const resolveKey = async () => ({ key: publicKey, raw, revoked: false });
  const agxVerify = await rate(n, async () => {
    const r = await verifyReceipt(jws, { resolveKey, now_s: 1_790_000_100 });
    if (!r.valid) throw new Error(r.reason);
  });
  const peacVerifyRate = await rate(n, async () => {
    const r = await peacVerify(jws, peacPub);
    if (!r.valid) throw new Error("peac says invalid");
  });
  return [
    { case: "issue (sign Wire 0.2)", agx: agxIssue, peer: peacIssue },
    { case: "verify", agx: agxVerify, peer: peacVerifyRate },
  ];
}

/** The table of benchReceipts' rows. */
export function receiptsTable(rows: ReceiptRow[]): string {
  const lines = [
    "\nreceipts: agx vs @peac/crypto (same key, same payload, same run)\n",
    `${"case".padEnd(26)}${pad("agx/s", 12)}${pad("peac/s", 12)}${pad("ratio", 8)}`,
  ];
  for (const r of rows) {
    lines.push(
      `${r.case.padEnd(26)}${pad(Math.round(r.agx).toString(), 12)}` +
        `${pad(Math.round(r.peer).toString(), 12)}${pad(ratioText(r.agx, r.peer), 8)}`,
    );
  }
  lines.push("\nratio = agx per second / @peac/crypto per second\n");
  return lines.join("\n");
}

import { type Hex, recoverMessageAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { Problem } from "../kernel/problem.ts";
import { createKeyCache, signerOf } from "./eip191-core.ts";
import { createEip191Pool } from "./eip191-pool.ts";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const accounts = [0, 1, 2].map(() => privateKeyToAccount(generatePrivateKey()));

async function viemSigner(message: string, signature: string): Promise<string | null> {
  try {
    return (await recoverMessageAddress({ message, signature: signature as Hex })).toLowerCase();
  } catch {
    return null;
  }
}

/** The same signature with s replaced by n − s and the recovery bit flipped (still valid). */
function highS(sig: string): string {
  const s = N - BigInt(`0x${sig.slice(66, 130)}`);
  const v = Number.parseInt(sig.slice(130), 16) === 27 ? "1c" : "1b";
  return `${sig.slice(0, 66)}${s.toString(16).padStart(64, "0")}${v}`;
}

async function cases(): Promise<{ message: string; signature: string; by: string }[]> {
  const out = [];
  for (let i = 0; i < 6; i++) {
    const a = accounts[i % accounts.length] as (typeof accounts)[number];
    const message = `Challenge ${i}\nNonce: ${Math.random()}`;
    const signature = await a.signMessage({ message });
    const by = a.address.toLowerCase();
    out.push({ message, signature, by });
    out.push({ message, signature: highS(signature), by });
    // A wrong v recovers some other key: the cache must not answer with the likely signer.
    const flipped = signature.endsWith("1b") ? "1c" : "1b";
    out.push({ message, signature: `${signature.slice(0, 130)}${flipped}`, by });
    out.push({ message: `${message}!`, signature, by });
    out.push({ message, signature: `${signature.slice(0, 130)}05`, by });
    out.push({ message, signature: `0x${"00".repeat(64)}1b`, by });
    out.push({ message, signature: signature.slice(0, 100), by });
  }
  return out;
}

describe("EIP-191 signer recovery", () => {
  it("answers exactly as viem's recoverMessageAddress, with and without a cached key", async () => {
    const cache = createKeyCache(8);
    const all = await cases();
    // Three rounds: cold, second use (builds the table), warm.
    for (let round = 0; round < 3; round++) {
      for (const c of all) {
        const want = await viemSigner(c.message, c.signature);
        expect(signerOf({ ...c, likely: [c.by] }, cache)).toBe(want);
        expect(signerOf({ ...c, likely: [] }, cache)).toBe(want);
      }
    }
  });

  it("is not fooled by a likely signer whose key did not sign", async () => {
    const cache = createKeyCache(8);
    const [a, b] = accounts as [(typeof accounts)[0], (typeof accounts)[0]];
    for (let i = 0; i < 3; i++) {
      const m = `m${i}`;
      signerOf({ message: m, signature: await a.signMessage({ message: m }), likely: [] }, cache);
    }
    const signature = await b.signMessage({ message: "x" });
    const got = signerOf({ message: "x", signature, likely: [a.address.toLowerCase()] }, cache);
    expect(got).toBe(b.address.toLowerCase());
  });
});

describe("EIP-191 pool", () => {
  const pool = createEip191Pool({
    workers: 2,
    queue_max: 64,
    key_cache_max: 8,
    inline_per_second_max: 0,
  });
  afterAll(() => pool.close());

  it("runs inline until its threads are ready, then on them, with the same answers", async () => {
    const all = await cases();
    const first = await pool.signer({ ...(all[0] as (typeof all)[0]), likely: [] });
    expect(first).toBe((all[0] as (typeof all)[0]).by);
    expect(await pool.warm(60_000)).toBe(2);
    const got = await Promise.all(all.map((c) => pool.signer({ ...c, likely: [c.by] })));
    const want = await Promise.all(all.map((c) => viemSigner(c.message, c.signature)));
    expect(got).toEqual(want);
  });

  it("refuses work beyond its queue with RATE_LIMITED and still answers the rest", async () => {
    const a = accounts[0] as (typeof accounts)[number];
    const signature = await a.signMessage({ message: "q" });
    const job = { message: "q", signature, likely: [] };
    const accepted: Promise<string | null>[] = [];
    let refused: unknown = null;
    for (let i = 0; i < 80 && refused === null; i++) {
      try {
        accepted.push(pool.signer(job));
      } catch (e) {
        refused = e;
      }
    }
    expect(refused).toBeInstanceOf(Problem);
    expect((refused as Problem).code).toBe("RATE_LIMITED");
    expect(accepted.length).toBe(64);
    const answers = await Promise.all(accepted);
    expect(new Set(answers)).toEqual(new Set([a.address.toLowerCase()]));
  });

  it("finishes queued jobs inline when it is closed", async () => {
    const a = accounts[1] as (typeof accounts)[number];
    const signature = await a.signMessage({ message: "c" });
    const pending = Array.from({ length: 10 }, () =>
      pool.signer({ message: "c", signature, likely: [] }),
    );
    await pool.close();
    expect(new Set(await Promise.all(pending))).toEqual(new Set([a.address.toLowerCase()]));
  });
});

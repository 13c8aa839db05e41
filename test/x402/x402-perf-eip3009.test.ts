import { type Hex, verifyTypedData } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { verifyEip3009Signature } from "../../src/x402/index.ts";

const MNEMONIC = "test test test test test test test test test test test junk";
const payer = mnemonicToAccount(MNEMONIC, { addressIndex: 1 });
const other = mnemonicToAccount(MNEMONIC, { addressIndex: 2 });
const token: Hex = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const terms = {
  network: "eip155:31337" as const,
  asset: token,
  eip712: { name: "USD Coin", version: "2" },
};
const domain = { name: "USD Coin", version: "2", chainId: 31337, verifyingContract: token };
const types = {
  TransferWithAuthorization: [
    { name: "from", type: "address" },
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "validAfter", type: "uint256" },
    { name: "validBefore", type: "uint256" },
    { name: "nonce", type: "bytes32" },
  ],
} as const;

async function signed(i: number, signer = payer) {
  const message = {
    from: payer.address,
    to: other.address,
    value: 20_000n + BigInt(i),
    validAfter: 0n,
    validBefore: 2_000_000_000n,
    nonce: `0x${(i + 1).toString(16).padStart(64, "0")}` as Hex,
  };
  const signature = await signer.signTypedData({
    domain,
    types,
    primaryType: "TransferWithAuthorization",
    message,
  });
  return { message, signature };
}

const payloadOf = (message: Awaited<ReturnType<typeof signed>>["message"], signature: string) =>
  ({
    x402Version: 2,
    payload: {
      signature,
      authorization: {
        ...message,
        value: message.value.toString(),
        validAfter: message.validAfter.toString(),
        validBefore: message.validBefore.toString(),
      },
    },
  }) as never;

const viemSays = (message: Awaited<ReturnType<typeof signed>>["message"], signature: Hex) =>
  verifyTypedData({
    address: payer.address,
    domain,
    types,
    primaryType: "TransferWithAuthorization",
    message,
    signature,
  }).catch(() => false);

describe("EIP-3009 signature checks (digest from bytes, payer keys and tables cached)", () => {
  it("gives viem's answer for a payer's first, second and later signatures", async () => {
    for (let i = 0; i < 6; i++) {
      const { message, signature } = await signed(i);
      expect(await verifyEip3009Signature(payloadOf(message, signature), terms)).toBe(true);
      expect(await viemSays(message, signature)).toBe(true);
    }
  });

  it("refuses, as viem does, a tampered value, a flipped v, a foreign signer and another domain", async () => {
    for (let i = 10; i < 14; i++) await signed(i); // the payer's key is known by now
    const { message, signature } = await signed(20);
    const cases: [typeof message, Hex, typeof terms][] = [
      [{ ...message, value: message.value + 1n }, signature, terms],
      [message, flipV(signature), terms],
      [message, (await signed(20, other)).signature, terms],
      [message, signature, { ...terms, eip712: { name: "USD Coin", version: "1" } }],
      [message, signature, { ...terms, network: "eip155:1" as never }],
    ];
    for (const [m, sig, t] of cases) {
      expect(await verifyEip3009Signature(payloadOf(m, sig), t)).toBe(false);
      if (t === terms) expect(await viemSays(m, sig)).toBe(false);
    }
    expect(await verifyEip3009Signature(payloadOf(message, signature), terms)).toBe(true);
  });

  it("answers false, never throws, for malformed fields", async () => {
    const { message, signature } = await signed(30);
    const bad = [
      payloadOf(message, signature.slice(0, 100)),
      payloadOf({ ...message, nonce: "0x12" as Hex }, signature),
      payloadOf({ ...message, from: "0xnot-an-address" as Hex }, signature),
      payloadOf(
        { ...message, to: other.address.toLowerCase().replace("a", "A") as Hex },
        signature,
      ),
    ];
    for (const p of bad) expect(await verifyEip3009Signature(p, terms)).toBe(false);
    const huge = payloadOf(message, signature) as { payload: { authorization: { value: string } } };
    huge.payload.authorization.value = (1n << 256n).toString();
    expect(await verifyEip3009Signature(huge as never, terms)).toBe(false);
  });
});

/** The same (r, s) with the other recovery bit: recovers someone else. */
function flipV(signature: Hex): Hex {
  const v = Number.parseInt(signature.slice(130), 16);
  return `${signature.slice(0, 130)}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
}

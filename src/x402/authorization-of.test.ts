import { describe, expect, it } from "vitest";
import { authorizationOf } from "./reconcile.ts";

const from = "0x1111111111111111111111111111111111111111";
const nonce = `0x${"ab".repeat(32)}`;
const payload = (authorization: Record<string, unknown>) =>
  ({ x402Version: 2, payload: { authorization, signature: "0x" } }) as never;

describe("the EIP-3009 authorization a reconciler asks the chain about", () => {
  it("reads validBefore as the wire types have it (a decimal string) or as a JSON number", () => {
    expect(authorizationOf(payload({ from, nonce, validBefore: "1767225600" }))).toEqual({
      from,
      nonce,
      valid_before: 1_767_225_600n,
    });
    expect(authorizationOf(payload({ from, nonce, validBefore: 1_767_225_600 }))).toEqual({
      from,
      nonce,
      valid_before: 1_767_225_600n,
    });
  });

  it("has none for a payload it cannot read (Permit2, or a malformed validBefore)", () => {
    expect(
      authorizationOf({ x402Version: 2, payload: { permit2Authorization: {} } } as never),
    ).toBe(null);
    for (const validBefore of ["-1", "1e9", 1.5, -3, "", null]) {
      expect(authorizationOf(payload({ from, nonce, validBefore }))).toBe(null);
    }
  });
});

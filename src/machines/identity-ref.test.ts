import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { base58Decode, base58Encode, didKeyOfEd25519, ed25519KeyOfDid } from "./did-key.ts";
import { IDENTITY_REF_PATTERN, parseIdentityRef } from "./identity-ref.ts";
import { createSecretBox } from "./secretbox.ts";

const lower = "0x52908400098527886e0f7030069857d2e4169ee7";
const mixed = "0x52908400098527886E0F7030069857D2E4169EE7";

describe("identity references", () => {
  it("accepts the peaq, peaqOS, did:pkh and did:ethr forms and checksums their addresses", () => {
    expect(parseIdentityRef(`did:peaq:${lower}`)?.ref).toBe(`did:peaq:${mixed}`);
    expect(parseIdentityRef("peaqos:machine:rover-7")?.kind).toBe("peaqos:machine");
    expect(parseIdentityRef(`did:pkh:eip155:3338:${lower}`)).toMatchObject({
      ref: `did:pkh:eip155:3338:${mixed}`,
      chain_id: 3338,
    });
    expect(parseIdentityRef(`did:ethr:0x7a69:${lower}`)).toMatchObject({ chain_id: 31337 });
    expect(parseIdentityRef(`did:ethr:${lower}`)?.chain_id).toBeNull();
  });

  it("refuses other forms, and the HTTP pattern agrees with the parser", () => {
    const bad = [
      "did:peaq:0x12",
      "did:web:example.com",
      "peaqos:machine:",
      `did:pkh:eip155:0:${lower}`,
    ];
    for (const ref of bad) {
      expect(parseIdentityRef(ref), ref).toBeNull();
      expect(new RegExp(IDENTITY_REF_PATTERN).test(ref), ref).toBe(false);
    }
    expect(new RegExp(IDENTITY_REF_PATTERN).test(`did:ethr:0x1:${lower}`)).toBe(true);
  });
});

describe("did:key and base58", () => {
  it("round-trips bytes with leading zeros through base58", () => {
    const bytes = Uint8Array.from([0, 0, 1, 2, 255]);
    expect(base58Decode(base58Encode(bytes))).toEqual(bytes);
    expect(base58Decode("0OIl")).toBeNull();
  });

  it("reads the Ed25519 key of a did:key it wrote, and nothing else", () => {
    const key = new Uint8Array(randomBytes(32));
    const did = didKeyOfEd25519(key);
    expect(did.startsWith("did:key:z6Mk")).toBe(true);
    expect(ed25519KeyOfDid(did)).toEqual(key);
    expect(ed25519KeyOfDid("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")).toBeNull();
  });
});

describe("the endpoint token secret box", () => {
  const box = createSecretBox(new Uint8Array(32).fill(1));

  it("opens what it sealed for the same row and for no other row or key", () => {
    const sealed = box.seal("s3cret-token", "mach_1\nlocal-llm");
    expect(sealed).not.toContain("s3cret");
    expect(box.open(sealed, "mach_1\nlocal-llm")).toBe("s3cret-token");
    expect(box.open(sealed, "mach_2\nlocal-llm")).toBeNull();
    expect(
      createSecretBox(new Uint8Array(32).fill(2)).open(sealed, "mach_1\nlocal-llm"),
    ).toBeNull();
  });

  it("seals the same token differently each time (random IV)", () => {
    expect(box.seal("t", "a")).not.toBe(box.seal("t", "a"));
  });
});

import { describe, expect, it } from "vitest";
import { digest, hashDigest, hmac } from "./hash-digest.ts";
import { builtinLimits } from "./limits.ts";
import { BuiltinInputError } from "./model.ts";

const [digestOp = expect.unreachable(), hmacOp = expect.unreachable()] = hashDigest.operations;

describe("hash.digest", () => {
  // FIPS 180-2, FIPS 202 and RFC 7693 vectors for "abc".
  it("matches the published test vectors for 'abc'", () => {
    const of = (algorithm: "sha256" | "sha512" | "sha3-256" | "blake2b512") =>
      digest({ algorithm, data: "abc" }).digest;
    expect(of("sha256")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(of("sha512")).toBe(
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    );
    expect(of("sha3-256")).toBe("3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
    expect(of("blake2b512")).toBe(
      "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1" +
        "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
    );
  });

  it("hashes the empty string to the published SHA-256 of no bytes", () => {
    expect(digest({ algorithm: "sha256", data: "" })).toEqual({
      algorithm: "sha256",
      digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      output: "hex",
      input_bytes: 0,
    });
  });

  it("hashes text as UTF-8 and base64 as the bytes it encodes, to the same digest", () => {
    const text = digest({ algorithm: "sha256", data: "é€", output: "base64" });
    const bytes = Buffer.from("é€", "utf8").toString("base64");
    expect(
      digest({ algorithm: "sha256", data: bytes, encoding: "base64", output: "base64" }),
    ).toEqual(text);
    expect(text.input_bytes).toBe(5);
  });

  it("refuses base64 that is unpadded, non-canonical or has foreign characters", async () => {
    for (const data of ["YWJ", "YWI=x", "YW*j", "YWJk=", "YR=="]) {
      await expect(
        digestOp.run({ algorithm: "sha256", data, encoding: "base64" }),
        data,
      ).rejects.toThrow(/canonical padded base64/);
    }
  });

  it("refuses an algorithm it does not offer", async () => {
    await expect(digestOp.run({ algorithm: "md5", data: "abc" })).rejects.toThrow(
      BuiltinInputError,
    );
  });

  it("hashes data of exactly the byte limit and refuses one byte more", async () => {
    const max = builtinLimits.hash_input_bytes_max;
    const atLimit = (await digestOp.run({ algorithm: "sha256", data: "a".repeat(max) })) as {
      input_bytes: number;
    };
    expect(atLimit.input_bytes).toBe(max);
    const base64 = Buffer.alloc(max).toString("base64");
    expect(base64.length).toBe(builtinLimits.hash_data_chars_max);
    await expect(
      digestOp.run({ algorithm: "sha256", data: base64, encoding: "base64" }),
    ).resolves.toMatchObject({ input_bytes: max });
    // Multi-byte text can stay under the character bound and still pass the byte bound.
    await expect(
      digestOp.run({ algorithm: "sha256", data: "é".repeat(max / 2 + 1) }),
    ).rejects.toThrow(`limited to ${max} bytes`);
  });
});

describe("hash.hmac", () => {
  it("matches RFC 4231 test case 2 for HMAC-SHA-256 and HMAC-SHA-512", () => {
    const input = { key: "Jefe", data: "what do ya want for nothing?" };
    expect(hmac({ algorithm: "sha256", ...input }).mac).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
    expect(hmac({ algorithm: "sha512", ...input }).mac).toBe(
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554" +
        "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    );
  });

  it("takes a base64 key: RFC 4231 test case 1 with twenty 0x0b bytes", () => {
    const key = Buffer.alloc(20, 0x0b).toString("base64");
    const result = hmac({ algorithm: "sha256", key, key_encoding: "base64", data: "Hi There" });
    expect(result.mac).toBe("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  });

  it("refuses an empty key and a key past its bound", async () => {
    const input = { algorithm: "sha256", data: "x" };
    await expect(hmacOp.run({ ...input, key: "" })).rejects.toThrow(BuiltinInputError);
    const long = "k".repeat(builtinLimits.hmac_key_chars_max + 1);
    await expect(hmacOp.run({ ...input, key: long })).rejects.toThrow(/key/);
  });
});

import { createHash, createHmac } from "node:crypto";
import { type Static, Type } from "@sinclair/typebox";
import { builtinLimits } from "./limits.ts";
import { BuiltinInputError, type BuiltinSkill } from "./model.ts";
import { checkInput } from "./validate.ts";

/** The algorithms offered, by their OpenSSL names; each is in every Node 20 build. */
export const HASH_ALGORITHMS = ["sha256", "sha512", "sha3-256", "blake2b512"] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

const Algorithm = Type.Unsafe<HashAlgorithm>({ type: "string", enum: [...HASH_ALGORITHMS] });
const InputEncoding = Type.Unsafe<"utf8" | "base64">({
  type: "string",
  enum: ["utf8", "base64"],
  default: "utf8",
  description: "utf8: hash the text's UTF-8 bytes; base64: hash the bytes it encodes",
});
const OutputEncoding = Type.Unsafe<"hex" | "base64">({
  type: "string",
  enum: ["hex", "base64"],
  default: "hex",
});
// Bounds the text of either encoding; the byte bound is checked once the encoding is known.
const Data = Type.String({ maxLength: builtinLimits.hash_data_chars_max });

const DigestInput = Type.Object(
  {
    algorithm: Algorithm,
    data: Data,
    encoding: Type.Optional(InputEncoding),
    output: Type.Optional(OutputEncoding),
  },
  { additionalProperties: false },
);

const HmacInput = Type.Object(
  {
    algorithm: Algorithm,
    key: Type.String({ minLength: 1, maxLength: builtinLimits.hmac_key_chars_max }),
    key_encoding: Type.Optional(InputEncoding),
    data: Data,
    encoding: Type.Optional(InputEncoding),
    output: Type.Optional(OutputEncoding),
  },
  { additionalProperties: false },
);

const DigestOutput = Type.Object(
  {
    algorithm: Algorithm,
    digest: Type.String({ maxLength: 128 }),
    output: OutputEncoding,
    input_bytes: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

const HmacOutput = Type.Object(
  {
    algorithm: Algorithm,
    mac: Type.String({ maxLength: 128 }),
    output: OutputEncoding,
    input_bytes: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

type DigestInput = Static<typeof DigestInput>;
type HmacInput = Static<typeof HmacInput>;

/** The digest of text or base64 bytes. */
export function digest(input: DigestInput): Static<typeof DigestOutput> {
  const bytes = decodeData(input.data, input.encoding ?? "utf8", "/data");
  const output = input.output ?? "hex";
  const value = createHash(input.algorithm).update(bytes).digest(output);
  return { algorithm: input.algorithm, digest: value, output, input_bytes: bytes.length };
}

/** The HMAC (RFC 2104) of text or base64 bytes under a key. */
export function hmac(input: HmacInput): Static<typeof HmacOutput> {
  const key = decodeData(input.key, input.key_encoding ?? "utf8", "/key");
  const bytes = decodeData(input.data, input.encoding ?? "utf8", "/data");
  const output = input.output ?? "hex";
  const mac = createHmac(input.algorithm, key).update(bytes).digest(output);
  return { algorithm: input.algorithm, mac, output, input_bytes: bytes.length };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The bytes a field stands for. Base64 must be canonical and padded (RFC 4648 §4): Node's own
 * decoder skips bad characters silently, and two spellings of one byte string would hash alike.
 */
function decodeData(text: string, encoding: "utf8" | "base64", pointer: string): Buffer {
  const bytes = Buffer.from(text, encoding);
  if (encoding === "base64") {
    if (text.length % 4 !== 0 || !BASE64.test(text) || bytes.toString("base64") !== text) {
      throw new BuiltinInputError("the data is not canonical padded base64 (RFC 4648 §4)", [
        { pointer, detail: "must be canonical padded base64" },
      ]);
    }
  }
  if (bytes.length > builtinLimits.hash_input_bytes_max) {
    const max = builtinLimits.hash_input_bytes_max;
    throw new BuiltinInputError(`the data is limited to ${max} bytes`, [
      { pointer, detail: `must NOT encode more than ${max} bytes` },
    ]);
  }
  return bytes;
}

/** hash.digest: cryptographic digests and HMACs of text or bytes. */
export const hashDigest: BuiltinSkill = {
  key: "hash.digest",
  label: "Hash digests",
  description:
    "Computes SHA-256, SHA-512, SHA3-256 or BLAKE2b-512 digests and HMACs of UTF-8 text or " +
    "base64 bytes, as hex or base64.",
  tags: ["hash", "crypto", "sha256", "sha3", "blake2", "hmac", "checksum"],
  operations: [
    {
      name: "digest",
      description: "The digest of up to 256 KiB of text or base64-encoded bytes.",
      input_schema: DigestInput,
      output_schema: DigestOutput,
      pricing: {
        model: "per_unit",
        unit: "kilobyte",
        amount_minor_per_unit: 10n,
        minimum_minor: 100n,
      },
      examples: [
        {
          input: { algorithm: "sha256", data: "abc" },
          output: {
            algorithm: "sha256",
            digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            output: "hex",
            input_bytes: 3,
          },
        },
        {
          input: { algorithm: "sha3-256", data: "YWJj", encoding: "base64", output: "base64" },
          output: {
            algorithm: "sha3-256",
            digest: "Ophdp0/iJbIEXBcta9OQvYVfCG4+nVJbRr/iRRFDFTI=",
            output: "base64",
            input_bytes: 3,
          },
        },
      ],
      run: async (input) => digest(checkInput(DigestInput, input)),
    },
    {
      name: "hmac",
      description: "The HMAC of up to 256 KiB of text or base64-encoded bytes under a key.",
      input_schema: HmacInput,
      output_schema: HmacOutput,
      pricing: {
        model: "per_unit",
        unit: "kilobyte",
        amount_minor_per_unit: 10n,
        minimum_minor: 100n,
      },
      examples: [
        {
          // RFC 4231, test case 2.
          input: { algorithm: "sha256", key: "Jefe", data: "what do ya want for nothing?" },
          output: {
            algorithm: "sha256",
            mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            output: "hex",
            input_bytes: 28,
          },
        },
      ],
      run: async (input) => hmac(checkInput(HmacInput, input)),
    },
  ],
};

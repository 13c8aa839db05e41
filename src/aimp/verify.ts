/**
 * Plumbing shared by the sign and verify paths: reading untrusted documents field by field,
 * the signature block, and the verifier's key. Readers throw a Refusal; `guarded` turns every
 * failure into a result, so verification never throws on bad input and always fails closed.
 */
import type { KeyObject } from "node:crypto";
import { AssertionError, assert } from "../kernel/assert.ts";
import { decodeBase64Strict, publicKeyToBase64, resolvePublicKey } from "./keys.ts";
import type { AimpVerifyFailure, AimpVerifyInvalid } from "./model.ts";
import { PyFloat, PyJsonError, type PyNumber } from "./pyjson.ts";
import { parsePyJson } from "./pyjson-parse.ts";

const SIGNATURE_BYTES = 64;
const PUBLIC_KEY_BYTES = 32;

/** A document that does not verify, and why; internal to this module. */
export class Refusal extends Error {
  override name = "Refusal";
  constructor(
    readonly reason: AimpVerifyFailure,
    detail: string,
  ) {
    super(detail);
  }
}

/** Runs a verification, turning any failure into an invalid result. */
export function guarded<T>(run: () => T): T | AimpVerifyInvalid {
  try {
    return run();
  } catch (error) {
    if (error instanceof Refusal) return invalid(error.reason, error.message);
    if (error instanceof PyJsonError) return invalid("unrenderable_value", error.message);
    // Anything else (a throwing getter, a proxy) is not a document we can vouch for.
    return invalid("malformed_field", `unreadable document: ${String(error)}`);
  }
}

function invalid(reason: AimpVerifyFailure, detail: string): AimpVerifyInvalid {
  return { valid: false, reason, detail };
}

/**
 * The document as a record, or a Refusal. JSON text is read with parsePyJson, which keeps
 * Python's number spellings: the exact way to verify what a Python hub sent.
 */
export function requireObject(input: unknown): Record<string, unknown> {
  let value = input;
  if (typeof input === "string") {
    try {
      value = parsePyJson(input);
    } catch (error) {
      if (!(error instanceof PyJsonError)) throw error;
      throw new Refusal("malformed_json", error.message);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Refusal("not_an_object", "a signed AIMP document is a JSON object");
  }
  return value as Record<string, unknown>;
}

/** An own property, or undefined when absent (never one inherited from a prototype). */
export function own(doc: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(doc, key) ? doc[key] : undefined;
}

/** A string field; absent falls back when a fallback is given, else refuses. */
export function readString(doc: Record<string, unknown>, key: string, fallback?: string): string {
  const value = own(doc, key);
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "string") throw new Refusal("malformed_field", `${key} must be a string`);
  return value;
}

/** A Python int field that fits a JS number exactly; absent falls back when given. */
export function readInteger(doc: Record<string, unknown>, key: string, fallback?: number): number {
  const value = own(doc, key);
  if (value === undefined && fallback !== undefined) return fallback;
  if (!Number.isSafeInteger(value)) {
    throw new Refusal("malformed_field", `${key} must be an integer`);
  }
  return value as number;
}

/** A JSON number field in any Python spelling (int, float, PyFloat, bigint). */
export function readNumber(doc: Record<string, unknown>, key: string): PyNumber {
  const value = own(doc, key);
  if (typeof value === "number" || typeof value === "bigint" || value instanceof PyFloat) {
    return value;
  }
  throw new Refusal("malformed_field", `${key} must be a number`);
}

/** A boolean field; absent falls back. */
export function readBoolean(doc: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = own(doc, key);
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new Refusal("malformed_field", `${key} must be a boolean`);
  return value;
}

/** The parts of a signature block a verifier uses. */
export interface SignatureBlock {
  signature: Buffer;
  /** The embedded signer key, when the block names one. */
  public_key: string | undefined;
  /** Canonical version the block names: 1 when absent (spec §7.3.4). */
  version: 1 | 2;
}

/** Reads `signature`: ed25519, a 64-byte padded-base64 value, an optional version of 1 or 2. */
export function readSignatureBlock(doc: Record<string, unknown>): SignatureBlock {
  const block = own(doc, "signature");
  if (typeof block !== "object" || block === null || Array.isArray(block)) {
    throw new Refusal("missing_signature", "the document carries no signature object");
  }
  const fields = block as Record<string, unknown>;
  const algorithm = own(fields, "algorithm");
  if (algorithm !== "ed25519") {
    throw new Refusal("unsupported_algorithm", `signature algorithm ${String(algorithm)}`);
  }
  const value = own(fields, "value");
  const signature = typeof value === "string" ? decodeBase64Strict(value, SIGNATURE_BYTES) : null;
  if (signature === null) {
    throw new Refusal("malformed_signature", "signature value is not 64 bytes of padded base64");
  }
  const publicKey = own(fields, "public_key");
  if (publicKey !== undefined && typeof publicKey !== "string") {
    throw new Refusal("malformed_signature", "signature public_key must be a string");
  }
  return { signature, public_key: publicKey, version: readVersion(own(fields, "version")) };
}

function readVersion(version: unknown): 1 | 2 {
  if (version === undefined || version === 1) return 1;
  if (version === 2) return 2;
  // A newer canonical is not a forgery: say the verifier is too old, not the document bad.
  throw new Refusal("unsupported_version", `signature version ${String(version)}`);
}

/**
 * The verifier's key, checked against every signer key the document names (signature block
 * `public_key`, announce `signer_public_key`): a document naming another key is refused even
 * if the verifier's key verifies it, so a named key can be trusted to be the signer's.
 */
export function requireKey(
  key: KeyObject | string,
  named: ReadonlyArray<string | undefined>,
): KeyObject {
  const resolved = resolvePublicKey(key);
  if (resolved === null) {
    throw new Refusal("invalid_public_key", "verifier key is not a strong Ed25519 public key");
  }
  const expected = publicKeyToBase64(resolved);
  for (const name of named) {
    if (name === undefined) continue;
    const raw = decodeBase64Strict(name, PUBLIC_KEY_BYTES);
    if (raw === null) throw new Refusal("malformed_field", "a named signer key is not base64");
    if (raw.toString("base64") !== expected) {
      throw new Refusal("signer_key_mismatch", "the document names a different signer key");
    }
  }
  return resolved;
}

/**
 * Runs the verify path's readers over a document we are about to sign, so we never sign what
 * we would refuse to verify. A refusal here is a programmer error, hence an AssertionError.
 */
export function readForSigning<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof Refusal) throw new AssertionError(`refusing to sign: ${error.message}`);
    throw error;
  }
}

/**
 * `|` separates canonical pairs. Python peers sign such values unquestioned, so verification
 * accepts them, but a value holding one can shift text across pairs, so we never sign one.
 */
export function assertNoSeparator(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    assert(!value.includes("|"), `refusing to sign: ${name} contains "|"`);
  }
}

/** The document without its signature block, ready to be (re-)signed. */
export function withoutSignature<T extends object>(doc: T): Omit<T, "signature"> {
  const { signature: _replaced, ...body } = doc as T & { signature?: unknown };
  return body;
}

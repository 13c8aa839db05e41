import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { assert } from "../kernel/assert.ts";

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for small secrets at rest (runtime endpoint auth tokens). `aad` binds a sealed
 * value to the row it belongs to, so a ciphertext copied onto another row does not open.
 * Sealed form: `v1.<iv>.<ciphertext>.<tag>`, each part base64url.
 */
export function createSecretBox(key: Uint8Array) {
  assert(key.length === 32, "an AES-256-GCM key is 32 bytes");
  const k = Buffer.from(key);

  function seal(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", k, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const parts = [iv, body, cipher.getAuthTag()].map((b) => b.toString("base64url"));
    return [VERSION, ...parts].join(".");
  }

  /** The plaintext, or null when the value was not sealed by this key for this `aad`. */
  function open(sealed: string, aad: string): string | null {
    const [version, iv, body, tag] = sealed.split(".");
    if (version !== VERSION || iv === undefined || body === undefined || tag === undefined) {
      return null;
    }
    try {
      const decipher = createDecipheriv("aes-256-gcm", k, Buffer.from(iv, "base64url"), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(aad, "utf8"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      const out = Buffer.concat([
        decipher.update(Buffer.from(body, "base64url")),
        decipher.final(),
      ]);
      return out.toString("utf8");
    } catch {
      return null;
    }
  }

  return { seal, open };
}

export type SecretBox = ReturnType<typeof createSecretBox>;

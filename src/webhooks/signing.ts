import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { assert } from "../kernel/assert.ts";
import { webhookLimits } from "./limits.ts";

const PREFIX = "whsec_";

/** A new Standard Webhooks secret: `whsec_` + base64 of random bytes. */
export function newSecret(): string {
  return PREFIX + randomBytes(webhookLimits.secret_random_bytes).toString("base64");
}

/** `v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>` with the key base64-decoded. */
export function signatureOf(secret: string, id: string, timestamp_s: number, body: string) {
  assert(secret.startsWith(PREFIX), "webhook secrets start with whsec_");
  const key = Buffer.from(secret.slice(PREFIX.length), "base64");
  const mac = createHmac("sha256", key).update(`${id}.${timestamp_s}.${body}`).digest("base64");
  return `v1,${mac}`;
}

/** The headers of one attempt; during a rotation overlap both secrets sign (space-separated). */
export function signedHeaders(
  secrets: readonly string[],
  id: string,
  timestamp_s: number,
  body: string,
): Record<string, string> {
  assert(secrets.length > 0, "at least one secret signs");
  return {
    "content-type": "application/json",
    "user-agent": "agx-webhooks/1",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp_s),
    "webhook-signature": secrets.map((s) => signatureOf(s, id, timestamp_s, body)).join(" "),
  };
}

/**
 * Secrets at rest: AES-256-GCM under a key derived from AGX_SECRET_KEY, bound to the endpoint id
 * (a sealed secret copied to another row does not open). A hub without a secret key (development)
 * stores them as `plain:` and says so in the value.
 */
export function createSecretSeal(secret_key: string | null) {
  const key = secret_key
    ? createHash("sha256").update(`agx-webhook-secrets:${secret_key}`).digest()
    : null;

  function seal(secret: string, endpoint_id: string): string {
    if (!key) return `plain:${secret}`;
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
    cipher.setAAD(Buffer.from(endpoint_id));
    const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), body].map((b) => b.toString("base64url"));
    return `aes256gcm:${parts.join(":")}`;
  }

  function open(sealed: string, endpoint_id: string): string {
    const [scheme, ...parts] = sealed.split(":");
    if (scheme === "plain") return parts.join(":");
    assert(scheme === "aes256gcm" && parts.length === 3, "unknown sealed secret format");
    if (!key) throw new Error("webhook secrets are encrypted; set AGX_SECRET_KEY to open them");
    const [iv = "", tag = "", body = ""] = parts;
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"), {
      authTagLength: 16,
    });
    decipher.setAAD(Buffer.from(endpoint_id));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([
      decipher.update(Buffer.from(body, "base64url")),
      decipher.final(),
    ]).toString("utf8");
  }

  return { seal, open };
}

export type SecretSeal = ReturnType<typeof createSecretSeal>;

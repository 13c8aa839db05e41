import { createHash } from "node:crypto";
import { assert } from "../kernel/assert.ts";
import { quote } from "./jws.ts";
import { dpopLimits, type ProofInput } from "./model.ts";
import { invalidProof } from "./problems.ts";

/** The claims that identify a proof once its signature and request binding are checked. */
export interface ProofIdentity {
  jti: string;
  /** Seconds since the epoch, as sent. */
  iat: number;
}

/**
 * Checks `jti`, `htm`, `htu`, `iat` and `ath` of a verified proof against the request
 * (RFC 9449 §4.2, §4.3 steps 3, 8, 9, 11, 12). `nonce` and the key binding are checked elsewhere.
 */
export function checkProofClaims(
  claims: Record<string, unknown>,
  input: ProofInput,
  now_ms: number,
): ProofIdentity {
  const { jti, htm, htu, iat } = claims;
  if (typeof jti !== "string" || jti === "") {
    throw invalidProof("jti", "the jti claim is missing or not a non-empty string");
  }
  if (jti.length > dpopLimits.dpop_jti_chars_max) {
    throw invalidProof("jti", `the jti claim is over ${dpopLimits.dpop_jti_chars_max} characters`);
  }
  if (htm !== input.method) {
    throw invalidProof(
      "htm",
      `the htm claim ${quote(htm)} does not match the request method ${input.method}`,
    );
  }
  checkHtu(htu, input.url);
  const iat_s = checkIat(iat, now_ms);
  if (input.accessToken !== undefined) checkAth(claims.ath, input.accessToken);
  return { jti, iat: iat_s };
}

/**
 * A URL in the form `htu` is compared in: RFC 3986 syntax- and scheme-based normalisation
 * (RFC 9449 §4.3): lower-case scheme and host, no default port, dot segments resolved, upper-case
 * percent-encodings with unreserved characters decoded, and no query or fragment.
 * Null when the text is not an absolute http(s) URL.
 */
export function normaliseHtu(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  const userinfo =
    url.username === "" && url.password === ""
      ? ""
      : `${url.username}${url.password === "" ? "" : `:${url.password}`}@`;
  return `${url.protocol}//${userinfo}${url.host}${normalisePercentEncoding(url.pathname)}`;
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

function normalisePercentEncoding(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

function checkHtu(htu: unknown, requestUrl: string): void {
  const expected = normaliseHtu(requestUrl);
  // The request URL comes from our own HTTP layer; a relative one is a wiring bug, not a client's.
  assert(expected !== null, "verifyProof needs the absolute http(s) request URL");
  if (typeof htu !== "string")
    throw invalidProof("htu", "the htu claim is missing or not a string");
  if (normaliseHtu(htu) !== expected) {
    throw invalidProof(
      "htu",
      `the htu claim ${quote(htu)} does not match the request URL ${quote(expected)} ` +
        "(query and fragment are ignored)",
    );
  }
}

/** The proof's `iat` in seconds, when it lies within the acceptance window around `now_ms`. */
function checkIat(iat: unknown, now_ms: number): number {
  if (typeof iat !== "number" || !Number.isFinite(iat)) {
    throw invalidProof("iat", "the iat claim is missing or not a number of seconds");
  }
  const age_ms = now_ms - iat * 1000;
  if (age_ms >= dpopLimits.dpop_proof_age_ms_max) {
    throw invalidProof(
      "iat",
      `the proof was issued ${Math.floor(age_ms / 1000)} s ago (iat); ` +
        `it must be younger than ${dpopLimits.dpop_proof_age_ms_max / 1000} s`,
    );
  }
  if (-age_ms > dpopLimits.dpop_proof_future_skew_ms_max) {
    throw invalidProof(
      "iat",
      `the proof is dated ${Math.ceil(-age_ms / 1000)} s in the future (iat); ` +
        `at most ${dpopLimits.dpop_proof_future_skew_ms_max / 1000} s is tolerated`,
    );
  }
  return iat;
}

function checkAth(ath: unknown, accessToken: string): void {
  if (ath === undefined) {
    throw invalidProof("ath", "an access token was presented but the proof has no ath claim");
  }
  const expected = createHash("sha256").update(accessToken, "utf8").digest("base64url");
  if (ath !== expected) {
    throw invalidProof(
      "ath",
      "the ath claim is not the base64url SHA-256 hash of the presented access token",
    );
  }
}

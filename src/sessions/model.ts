import type { Scope } from "../identity/index.ts";

/**
 * A Sign-In with Ethereum (EIP-4361) nonce and the message parts it was issued for. Used once:
 * the first presentation consumes it with a guarded update, whether or not the signature holds,
 * so a replayed or raced message finds it gone.
 */
export interface SignInNonce {
  nonce: string;
  domain: string;
  uri: string;
  chain_id: number;
  statement: string;
  issued_at_ms: number;
  expires_at_ms: number;
  consumed_at_ms: number | null;
}

/** How a console session was opened. */
export type SessionMethod = "siwe" | "api_key";

/**
 * A console session: a cookie token (stored only as its SHA-256) that acts as its principal
 * with `scope` until it expires or is signed out. Concurrent sign-outs are idempotent.
 */
export interface Session {
  id: string;
  principal_id: string;
  method: SessionMethod;
  /** The wallet that signed in (checksummed), for SIWE sessions. */
  address: string | null;
  /** The API key exchanged for it, for key sessions: revoking the key ends the session. */
  key_id: string | null;
  scope: Scope;
  created_at_ms: number;
  expires_at_ms: number;
  revoked_at_ms: number | null;
}

/** A session as issued: the only moment its token exists outside the cookie. */
export interface IssuedSession {
  session: Session;
  token: string;
}

/**
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header). A request is identified by its
 * scope (who, method, route template, key). The first request reserves the scope; while it runs
 * a twin gets 409; afterwards a twin with the same body gets the stored status and body, and a
 * twin with another body gets 422 naming the first difference. A reservation whose holder died
 * (lock expired) may be taken over. Results are kept for `limits.idempotency_retention_ms`.
 */

/** The identity of a request for idempotency purposes. */
export interface IdempotencyScope {
  /** Principal id, or `anon:<ip>` on unauthenticated routes. */
  owner: string;
  method: string;
  /** The route template (`/api/v1/keys/:id`), so ids in the path are part of `fingerprint`. */
  route: string;
  key: string;
}

/** A response worth replaying. */
export interface StoredResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export type BeginResult =
  | { kind: "new"; token: string }
  | { kind: "replay"; response: StoredResponse };

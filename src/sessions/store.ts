import { type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import type { Scope } from "../identity/index.ts";
import type { Session, SessionMethod, SignInNonce } from "./model.ts";

type Int = number | bigint;

interface SessionTables {
  session_nonces: {
    nonce: string;
    domain: string;
    uri: string;
    chain_id: Int;
    statement: string;
    issued_at_ms: Int;
    expires_at_ms: Int;
    consumed_at_ms: Int | null;
  };
  session_sessions: {
    id: string;
    token_sha256: string;
    principal_id: string;
    method: string;
    address: string | null;
    key_id: string | null;
    scope: string;
    created_at_ms: Int;
    expires_at_ms: Int;
    revoked_at_ms: Int | null;
  };
  session_wallets: { address: string; principal_id: string; created_at_ms: Int };
}

const q = (ex: Executor) => tablesOf<SessionTables>(ex);

function toNonce(row: SessionTables["session_nonces"]): SignInNonce {
  return {
    nonce: row.nonce,
    domain: row.domain,
    uri: row.uri,
    chain_id: num(row.chain_id),
    statement: row.statement,
    issued_at_ms: num(row.issued_at_ms),
    expires_at_ms: num(row.expires_at_ms),
    consumed_at_ms: numOrNull(row.consumed_at_ms),
  };
}

function toSession(row: SessionTables["session_sessions"]): Session {
  return {
    id: row.id,
    principal_id: row.principal_id,
    method: row.method as SessionMethod,
    address: row.address,
    key_id: row.key_id,
    scope: row.scope as Scope,
    created_at_ms: num(row.created_at_ms),
    expires_at_ms: num(row.expires_at_ms),
    revoked_at_ms: numOrNull(row.revoked_at_ms),
  };
}

export async function insertNonce(ex: Executor, n: SignInNonce): Promise<void> {
  await q(ex).insertInto("session_nonces").values(n).execute();
}

/**
 * Consumes a live nonce (unused, unexpired) and answers it; null when it is unknown, used or
 * expired. The guard is in the update, so two presentations racing get one winner.
 */
export async function consumeNonce(
  ex: Executor,
  nonce: string,
  now_ms: number,
): Promise<SignInNonce | null> {
  const r = await q(ex)
    .updateTable("session_nonces")
    .set({ consumed_at_ms: now_ms })
    .where("nonce", "=", nonce)
    .where("consumed_at_ms", "is", null)
    .where("expires_at_ms", ">", now_ms)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return null;
  const row = await q(ex)
    .selectFrom("session_nonces")
    .selectAll()
    .where("nonce", "=", nonce)
    .executeTakeFirst();
  return row ? toNonce(row) : null;
}

export async function insertSession(ex: Executor, s: Session, token_sha256: string) {
  await q(ex)
    .insertInto("session_sessions")
    .values({ ...s, token_sha256 })
    .execute();
}

/** The live session of a token digest, or null (unknown, expired or signed out). */
export async function liveSession(
  ex: Executor,
  token_sha256: string,
  now_ms: number,
): Promise<Session | null> {
  const row = await q(ex)
    .selectFrom("session_sessions")
    .selectAll()
    .where("token_sha256", "=", token_sha256)
    .where("revoked_at_ms", "is", null)
    .where("expires_at_ms", ">", now_ms)
    .executeTakeFirst();
  return row ? toSession(row) : null;
}

/** Signs a session out; true when this call ended it. */
export async function revokeSession(ex: Executor, id: string, now_ms: number): Promise<boolean> {
  const r = await q(ex)
    .updateTable("session_sessions")
    .set({ revoked_at_ms: now_ms })
    .where("id", "=", id)
    .where("revoked_at_ms", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function principalOfWallet(ex: Executor, address: string): Promise<string | null> {
  const row = await q(ex)
    .selectFrom("session_wallets")
    .select("principal_id")
    .where("address", "=", address)
    .executeTakeFirst();
  return row?.principal_id ?? null;
}

/** Links a wallet to a principal unless it is linked already; false when it was. */
export async function insertWallet(
  ex: Executor,
  address: string,
  principal_id: string,
  now_ms: number,
): Promise<boolean> {
  const r = await q(ex)
    .insertInto("session_wallets")
    .values({ address, principal_id, created_at_ms: now_ms })
    .onConflict((oc) => oc.column("address").doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** Deletes at most `limit` expired nonces and ended sessions; answers how many went. */
export async function purgeExpired(ex: Executor, now_ms: number, limit: number): Promise<number> {
  const nonces = await q(ex)
    .selectFrom("session_nonces")
    .select("nonce")
    .where("expires_at_ms", "<=", now_ms)
    .limit(limit)
    .execute();
  const sessions = await q(ex)
    .selectFrom("session_sessions")
    .select("id")
    .where((eb) => eb.or([eb("expires_at_ms", "<=", now_ms), eb("revoked_at_ms", "is not", null)]))
    .limit(limit)
    .execute();
  if (nonces.length > 0) {
    await q(ex)
      .deleteFrom("session_nonces")
      .where(
        "nonce",
        "in",
        nonces.map((n) => n.nonce),
      )
      .execute();
  }
  if (sessions.length > 0) {
    await q(ex)
      .deleteFrom("session_sessions")
      .where(
        "id",
        "in",
        sessions.map((s) => s.id),
      )
      .execute();
  }
  return nonces.length + sessions.length;
}

import { compiledQuery } from "../db/compiled.ts";
import { beforeCommit, type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import type { IssuerKey, KeyState, ReceiptKind, ReceiptProfile, StoredReceipt } from "./model.ts";

type Int = number | bigint;

interface KeyRow {
  kid: string;
  state: string;
  public_jwk: string;
  private_key: string;
  created_at_ms: Int;
  activated_at_ms: Int | null;
  retire_until_ms: Int | null;
  revoked_at_ms: Int | null;
  revoke_reason: string | null;
}

interface ReceiptRow {
  id: string;
  profile: string;
  kind: string;
  kid: string;
  jws: string;
  ref: string;
  nonce: string | null;
  chain_key: string | null;
  chain_seq: Int | null;
  prev_id: string | null;
  order_id: string | null;
  payment_id: string | null;
  request_digest: string | null;
  response_digest: string | null;
  created_at_ms: Int;
}

interface ReceiptTables {
  receipt_keys: KeyRow;
  receipts: ReceiptRow;
}

const q = (ex: Executor) => tablesOf<ReceiptTables>(ex);

export function toKey(row: KeyRow): IssuerKey & { private_key: string } {
  return {
    kid: row.kid,
    state: row.state as KeyState,
    public_jwk: JSON.parse(row.public_jwk) as IssuerKey["public_jwk"],
    private_key: row.private_key,
    created_at_ms: num(row.created_at_ms),
    activated_at_ms: numOrNull(row.activated_at_ms),
    retire_until_ms: numOrNull(row.retire_until_ms),
    revoked_at_ms: numOrNull(row.revoked_at_ms),
    revoke_reason: row.revoke_reason,
  };
}

function toReceipt(row: ReceiptRow): StoredReceipt {
  return {
    id: row.id,
    profile: row.profile as ReceiptProfile,
    kind: row.kind as ReceiptKind,
    kid: row.kid,
    jws: row.jws,
    ref: row.ref,
    chain_key: row.chain_key,
    prev_id: row.prev_id,
    order_id: row.order_id,
    payment_id: row.payment_id,
    request_digest: row.request_digest,
    response_digest: row.response_digest,
    created_at_ms: num(row.created_at_ms),
  };
}

export async function allKeys(ex: Executor) {
  const rows = await q(ex).selectFrom("receipt_keys").selectAll().orderBy("kid").execute();
  return rows.map(toKey);
}

export async function insertKey(ex: Executor, row: KeyRow): Promise<void> {
  await q(ex).insertInto("receipt_keys").values(row).execute();
}

/** Moves a key between states, guarded by its current state; false when it was not in `from`. */
export async function moveKey(
  ex: Executor,
  kid: string,
  from: KeyState,
  to: Partial<Omit<KeyRow, "kid" | "public_jwk" | "private_key">> & { state: KeyState },
): Promise<boolean> {
  const r = await q(ex)
    .updateTable("receipt_keys")
    .set(to)
    .where("kid", "=", kid)
    .where("state", "=", from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The newest receipt of a chain (to link the next one to it). */
export async function chainHead(ex: Executor, chain_key: string) {
  await flushReceipts(ex);
  const row = await q(ex)
    .selectFrom("receipts")
    .select(["id", "chain_seq"])
    .where("chain_key", "=", chain_key)
    .orderBy("chain_seq", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? { id: row.id, seq: num(row.chain_seq) } : null;
}

type ReceiptInsert = StoredReceipt & { chain_seq: number | null; nonce: string | null };

/** Most receipts written by one statement (15 values each: far below any bind limit). */
const RECEIPTS_PER_INSERT_MAX = 500;

/** Receipts issued inside a transaction and not written yet, by transaction. */
const pending = new WeakMap<object, ReceiptInsert[]>();

/**
 * Stores a receipt. Inside a transaction opened by `Database.transaction` the row is written
 * just before commit, together with the transaction's other receipts, in one statement; every
 * read of this store writes them first, so the transaction still reads its own receipts. A
 * unique key refusal (a forked chain) then fails the transaction at commit instead of here.
 */
export async function insertReceipt(ex: Executor, r: ReceiptInsert): Promise<void> {
  const queued = pending.get(ex);
  if (queued) {
    queued.push(r);
    return;
  }
  if (beforeCommit(ex, () => flushReceipts(ex))) {
    pending.set(ex, [r]);
    return;
  }
  await insertReceipts(ex, [r]);
}

const insertReceipts = compiledQuery((db, rows: ReceiptInsert[]) =>
  q(db).insertInto("receipts").values(rows),
);

/** Writes of pending receipts under way, by transaction: a read waits for them. */
const writing = new WeakMap<object, Promise<void>>();

/** Writes the receipts `ex` has issued and not written yet (or waits for that write). */
async function flushReceipts(ex: Executor): Promise<void> {
  const before = writing.get(ex);
  const rows = pending.get(ex);
  if (!rows) {
    if (before) await before;
    return;
  }
  pending.delete(ex);
  const write = (async () => {
    if (before) await before;
    for (let i = 0; i < rows.length; i += RECEIPTS_PER_INSERT_MAX) {
      const chunk = rows.slice(i, i + RECEIPTS_PER_INSERT_MAX);
      await insertReceipts(ex, chunk);
    }
  })();
  writing.set(ex, write);
  try {
    await write;
  } finally {
    if (writing.get(ex) === write) writing.delete(ex);
  }
}

export async function getReceipt(ex: Executor, id: string): Promise<StoredReceipt | null> {
  await flushReceipts(ex);
  const row = await q(ex)
    .selectFrom("receipts")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toReceipt(row) : null;
}

export async function receiptByNonce(ex: Executor, nonce: string): Promise<StoredReceipt | null> {
  await flushReceipts(ex);
  const row = await q(ex)
    .selectFrom("receipts")
    .selectAll()
    .where("nonce", "=", nonce)
    .executeTakeFirst();
  return row ? toReceipt(row) : null;
}

export async function chainOf(ex: Executor, chain_key: string): Promise<StoredReceipt[]> {
  await flushReceipts(ex);
  const rows = await q(ex)
    .selectFrom("receipts")
    .selectAll()
    .where("chain_key", "=", chain_key)
    .orderBy("chain_seq")
    .execute();
  return rows.map(toReceipt);
}

import { type Executor, num, numOrNull, tablesOf } from "../db/db.ts";
import type { ApiKey, Principal, PrincipalKind, PrincipalStatus, Scope } from "./model.ts";

type Int = number | bigint;

interface IdentityTables {
  identity_principals: {
    id: string;
    kind: string;
    handle: string;
    display_name: string;
    webhook_url: string | null;
    status: string;
    created_at_ms: Int;
  };
  identity_api_keys: {
    id: string;
    principal_id: string;
    secret_sha256: string;
    prefix: string;
    scope: string;
    label: string;
    created_at_ms: Int;
    last_used_at_ms: Int | null;
    revoked_at_ms: Int | null;
    dpop_jkt: string | null;
  };
}

const q = (ex: Executor) => tablesOf<IdentityTables>(ex);

function toPrincipal(row: IdentityTables["identity_principals"]): Principal {
  return {
    id: row.id,
    kind: row.kind as PrincipalKind,
    handle: row.handle,
    display_name: row.display_name,
    webhook_url: row.webhook_url,
    status: row.status as PrincipalStatus,
    created_at_ms: num(row.created_at_ms),
  };
}

function toKey(row: IdentityTables["identity_api_keys"]): ApiKey {
  return {
    id: row.id,
    principal_id: row.principal_id,
    prefix: row.prefix,
    scope: row.scope as Scope,
    label: row.label,
    created_at_ms: num(row.created_at_ms),
    last_used_at_ms: numOrNull(row.last_used_at_ms),
    revoked_at_ms: numOrNull(row.revoked_at_ms),
    dpop_jkt: row.dpop_jkt ?? null,
  };
}

/** Inserts a principal unless its handle is taken; false when taken. */
export async function insertPrincipal(ex: Executor, p: Principal): Promise<boolean> {
  const result = await q(ex)
    .insertInto("identity_principals")
    .values(p)
    .onConflict((oc) => oc.column("handle").doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function getPrincipal(ex: Executor, id: string): Promise<Principal | null> {
  const row = await q(ex)
    .selectFrom("identity_principals")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toPrincipal(row) : null;
}

export async function principalByHandle(ex: Executor, handle: string): Promise<Principal | null> {
  const row = await q(ex)
    .selectFrom("identity_principals")
    .selectAll()
    .where("handle", "=", handle)
    .executeTakeFirst();
  return row ? toPrincipal(row) : null;
}

export async function insertKey(ex: Executor, key: ApiKey, secret_sha256: string): Promise<void> {
  await q(ex)
    .insertInto("identity_api_keys")
    .values({ ...key, secret_sha256 })
    .execute();
}

/** The live (unrevoked) key with this secret hash, and its principal, in one statement. */
export async function keyBySecretHash(
  ex: Executor,
  secret_sha256: string,
): Promise<{ key: ApiKey; principal: Principal } | null> {
  const row = await q(ex)
    .selectFrom("identity_api_keys as k")
    .innerJoin("identity_principals as p", "p.id", "k.principal_id")
    .select([
      "k.id as key_id",
      "k.principal_id",
      "k.prefix",
      "k.scope",
      "k.label",
      "k.created_at_ms as key_created_at_ms",
      "k.last_used_at_ms",
      "k.revoked_at_ms",
      "k.dpop_jkt",
      "p.kind",
      "p.handle",
      "p.display_name",
      "p.webhook_url",
      "p.status",
      "p.created_at_ms",
    ])
    .where("k.secret_sha256", "=", secret_sha256)
    .where("k.revoked_at_ms", "is", null)
    .executeTakeFirst();
  if (!row) return null;
  return {
    key: toKey({ ...row, id: row.key_id, created_at_ms: row.key_created_at_ms, secret_sha256 }),
    principal: toPrincipal({ ...row, id: row.principal_id }),
  };
}

export async function hasSecretHash(ex: Executor, secret_sha256: string): Promise<boolean> {
  const row = await q(ex)
    .selectFrom("identity_api_keys")
    .select("id")
    .where("secret_sha256", "=", secret_sha256)
    .executeTakeFirst();
  return row !== undefined;
}

export async function keysOf(ex: Executor, principal_id: string): Promise<ApiKey[]> {
  const rows = await q(ex)
    .selectFrom("identity_api_keys")
    .selectAll()
    .where("principal_id", "=", principal_id)
    .orderBy("id")
    .execute();
  return rows.map(toKey);
}

export async function liveKeyCount(ex: Executor, principal_id: string): Promise<number> {
  const row = await q(ex)
    .selectFrom("identity_api_keys")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("principal_id", "=", principal_id)
    .where("revoked_at_ms", "is", null)
    .executeTakeFirstOrThrow();
  return num(row.n as Int);
}

/** Revokes a live key of a principal; false when there is no such live key. */
export async function revokeKey(
  ex: Executor,
  principal_id: string,
  key_id: string,
  now_ms: number,
): Promise<boolean> {
  const result = await q(ex)
    .updateTable("identity_api_keys")
    .set({ revoked_at_ms: now_ms })
    .where("id", "=", key_id)
    .where("principal_id", "=", principal_id)
    .where("revoked_at_ms", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function getKey(
  ex: Executor,
  principal_id: string,
  key_id: string,
): Promise<ApiKey | null> {
  const row = await q(ex)
    .selectFrom("identity_api_keys")
    .selectAll()
    .where("id", "=", key_id)
    .where("principal_id", "=", principal_id)
    .executeTakeFirst();
  return row ? toKey(row) : null;
}

/**
 * Records that a key was used, unless it was already recorded less than `interval_ms` ago (by
 * any process): authentication stays a read on the hot path.
 */
export async function touchKey(
  ex: Executor,
  key_id: string,
  now_ms: number,
  interval_ms: number,
): Promise<void> {
  await q(ex)
    .updateTable("identity_api_keys")
    .set({ last_used_at_ms: now_ms })
    .where("id", "=", key_id)
    .where((eb) =>
      eb.or([eb("last_used_at_ms", "is", null), eb("last_used_at_ms", "<=", now_ms - interval_ms)]),
    )
    .execute();
}

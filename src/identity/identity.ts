import { afterCommit, type Executor } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId, randomToken } from "../kernel/ids.ts";
import { sha256Hex } from "../kernel/json.ts";
import { limits } from "../kernel/limits.ts";
import { Problem } from "../kernel/problem.ts";
import { createCallerCache, createTouchThrottle } from "./callers.ts";
import {
  type ApiKey,
  type Caller,
  type IssuedKey,
  type Principal,
  type PrincipalKind,
  type Scope,
  scopeCovers,
} from "./model.ts";
import { identityProblems } from "./problems.ts";
import * as store from "./store.ts";

/** Every agx secret key starts with this, so secret scanners can find leaked ones. */
export const API_KEY_PREFIX = "sk_agx_";
/** The operator's handle; there is exactly one operator principal per hub. */
export const OPERATOR_HANDLE = "operator";

export interface IdentityDeps {
  clock: Clock;
  /** How long a verified key is trusted in process without reading it again (0: never cached). */
  key_cache_ttl_ms?: number;
}

/** True when `text` has the shape of an agx secret key. */
export function looksLikeApiKey(text: string): boolean {
  return /^sk_agx_[A-Za-z0-9_-]{32,128}$/.test(text);
}

/** Principals and API keys. Writes take the caller's transaction. */
export function createIdentity(deps: IdentityDeps) {
  const { clock } = deps;
  const callers = createCallerCache({
    entries_max: limits.api_key_cache_entries_max,
    ttl_ms: deps.key_cache_ttl_ms ?? limits.api_key_cache_ttl_ms,
  });
  const touches = createTouchThrottle({
    interval_ms: limits.api_key_touch_interval_ms,
    tracked_max: limits.api_key_touch_tracked_max,
  });

  async function createPrincipal(
    tx: Executor,
    spec: {
      kind: PrincipalKind;
      handle: string;
      display_name: string;
      webhook_url?: string | null;
    },
  ): Promise<Principal> {
    const principal: Principal = {
      id: newId("prn", clock.now_ms()),
      kind: spec.kind,
      handle: spec.handle,
      display_name: spec.display_name,
      webhook_url: spec.webhook_url ?? null,
      status: "active",
      created_at_ms: clock.now_ms(),
    };
    if (!(await store.insertPrincipal(tx, principal))) {
      throw new Problem(identityProblems.IDENTITY_HANDLE_TAKEN, `handle ${spec.handle} is taken`);
    }
    return principal;
  }

  /** Issues a new key; the secret is returned once and never stored. */
  async function issueKey(
    tx: Executor,
    principal_id: string,
    spec: { scope: Scope; label?: string; secret?: string; dpop_jkt?: string | null },
  ): Promise<IssuedKey> {
    if ((await store.liveKeyCount(tx, principal_id)) >= limits.api_keys_per_principal_max) {
      throw new Problem(
        identityProblems.IDENTITY_KEY_LIMIT_REACHED,
        `a principal may hold at most ${limits.api_keys_per_principal_max} live keys`,
      );
    }
    const secret = spec.secret ?? API_KEY_PREFIX + randomToken(limits.api_key_random_bytes);
    const key: ApiKey = {
      id: newId("key", clock.now_ms()),
      principal_id,
      prefix: secret.slice(0, limits.api_key_visible_prefix_chars),
      scope: spec.scope,
      label: spec.label ?? "",
      created_at_ms: clock.now_ms(),
      last_used_at_ms: null,
      revoked_at_ms: null,
      dpop_jkt: spec.dpop_jkt ?? null,
    };
    await store.insertKey(tx, key, sha256Hex(secret));
    return { key, secret };
  }

  /**
   * The caller a secret belongs to, or null (unknown, revoked, or principal suspended). A key
   * verified less than the cache TTL ago is not read again; its last-used time is written at
   * most once per touch interval.
   */
  async function authenticate(ex: Executor, secret: string): Promise<Caller | null> {
    if (!looksLikeApiKey(secret)) return null;
    const hash = sha256Hex(secret);
    const now_ms = clock.now_ms();
    let found = callers.get(hash, now_ms);
    if (!found) {
      const generation = callers.generation();
      const read = await store.keyBySecretHash(ex, hash);
      if (read?.principal.status !== "active") return null;
      callers.remember(hash, read, now_ms, generation);
      found = read;
    }
    if (touches.due(found.key.id, now_ms)) {
      try {
        await store.touchKey(ex, found.key.id, now_ms, limits.api_key_touch_interval_ms);
      } catch (error) {
        touches.failed(found.key.id);
        throw error;
      }
    }
    // Copies: a caller object handed to a request must not be able to change the cached one.
    return { key: { ...found.key }, principal: { ...found.principal } };
  }

  /**
   * Makes sure the operator principal exists. Returns a newly issued admin secret when the hub
   * had none (first start), so it can be printed once; with `admin_secret` from config, that
   * secret is registered instead and nothing is printed.
   */
  async function ensureOperator(
    tx: Executor,
    options: { admin_secret?: string },
  ): Promise<{ principal: Principal; new_secret: string | null }> {
    let principal = await store.principalByHandle(tx, OPERATOR_HANDLE);
    const fresh = principal === null;
    if (!principal) {
      principal = await createPrincipal(tx, {
        kind: "operator",
        handle: OPERATOR_HANDLE,
        display_name: "Hub operator",
      });
    }
    if (options.admin_secret !== undefined) {
      if (!(await store.hasSecretHash(tx, sha256Hex(options.admin_secret)))) {
        await issueKey(tx, principal.id, {
          scope: "admin",
          label: "from config",
          secret: options.admin_secret,
        });
      }
      return { principal, new_secret: null };
    }
    if (!fresh) return { principal, new_secret: null };
    const issued = await issueKey(tx, principal.id, { scope: "admin", label: "first start" });
    return { principal, new_secret: issued.secret };
  }

  /**
   * Revokes one of the principal's keys at once. This process forgets the key now and again when
   * the revocation commits, so no read racing with it can put the key back; other processes stop
   * trusting it within the key cache TTL.
   */
  async function revokeKey(tx: Executor, principal_id: string, key_id: string): Promise<ApiKey> {
    await store.revokeKey(tx, principal_id, key_id, clock.now_ms());
    callers.forgetKey(key_id);
    afterCommit(tx, () => callers.forgetKey(key_id));
    const key = await store.getKey(tx, principal_id, key_id);
    if (!key) throw new Problem(identityProblems.IDENTITY_KEY_NOT_FOUND, `no key ${key_id}`);
    return key;
  }

  /** Refuses a key that would grant more than the creating key holds. */
  function assertGrantable(granted: Scope, requested: Scope): void {
    if (!scopeCovers(granted, requested)) {
      throw new Problem(
        identityProblems.IDENTITY_SCOPE_NOT_GRANTABLE,
        `a ${granted} key cannot create a ${requested} key`,
      );
    }
  }

  return {
    createPrincipal,
    issueKey,
    authenticate,
    ensureOperator,
    revokeKey,
    assertGrantable,
    getPrincipal: store.getPrincipal,
    principalByHandle: store.principalByHandle,
    keysOf: store.keysOf,
  };
}

export type Identity = ReturnType<typeof createIdentity>;

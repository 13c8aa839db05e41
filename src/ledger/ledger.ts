import { sql } from "kysely";
import { afterCommit, type Executor, type Tx } from "../db/db.ts";
import { assert } from "../kernel/assert.ts";
import type { Clock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { canonicalJson } from "../kernel/json.ts";
import { limits } from "../kernel/limits.ts";
import type { Asset } from "../kernel/money.ts";
import { Problem } from "../kernel/problem.ts";
import { type AccountMeta, applyBatch } from "./batch.ts";
import { getAccounts } from "./batch-store.ts";
import {
  type Account,
  type AccountKind,
  HUB_OWNER_ID,
  type LedgerReport,
  type Transfer,
  type TransferInput,
  type TransferResult,
  type TransferResultCode,
} from "./model.ts";
import { ledgerProblems } from "./problems.ts";
import * as store from "./store.ts";
import { validateTransferInput } from "./validate.ts";

/** A deposit or withdrawal: money entering or leaving the hub for one owner. */
export interface ExternalMovement {
  id: string;
  owner_id: string;
  amount_minor: bigint;
  asset: string;
  code?: string;
  metadata?: Record<string, unknown>;
}

export interface LedgerDeps {
  clock: Clock;
}

/** Outcome of an attempt inside a savepoint: `race` means a concurrent twin took the id. */
type Attempt = { result: TransferResultCode; transfer?: Transfer } | { result: "race" };

let savepointSeq = 0;

/** The money kernel: accounts, transfers, holds and the proof that it all sums to zero. */
export function createLedger(deps: LedgerDeps) {
  const { clock } = deps;
  // Immutable facts about accounts (an id's asset; the id of an owner's account of an asset and
  // kind), remembered once their row is committed: the hot path reads no account twice.
  const metaById = new Map<string, AccountMeta>();
  const idByKey = new Map<string, string>();
  const keyOf = (owner_id: string, asset: string, kind: AccountKind) =>
    `${owner_id}\u0000${asset}\u0000${kind}`;

  function remember(ex: Executor, accounts: Account[]) {
    afterCommit(ex, () => {
      if (metaById.size >= limits.ledger_account_cache_max) {
        metaById.clear();
        idByKey.clear();
      }
      for (const a of accounts) {
        metaById.set(a.id, { id: a.id, asset: a.asset });
        idByKey.set(keyOf(a.owner_id, a.asset, a.kind), a.id);
      }
    });
  }

  /** The metas of accounts (missing ones absent): from the cache, else one query. */
  async function metasOf(tx: Executor, ids: string[]): Promise<Map<string, AccountMeta>> {
    const out = new Map<string, AccountMeta>();
    const missing: string[] = [];
    for (const id of ids) {
      const m = metaById.get(id);
      if (m) out.set(id, m);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    const rows = await getAccounts(tx, missing);
    remember(tx, rows);
    for (const a of rows) out.set(a.id, { id: a.id, asset: a.asset });
    return out;
  }

  /** Runs `work` under a savepoint, undoing its writes unless it reports success. */
  async function inSavepoint<T>(tx: Tx, work: () => Promise<T>, ok: (v: T) => boolean) {
    assert(tx.isTransaction, "ledger writes need the caller's transaction");
    const name = `agx_sp_${++savepointSeq}`;
    await sql.raw(`savepoint ${name}`).execute(tx);
    try {
      const value = await work();
      if (!ok(value)) await sql.raw(`rollback to savepoint ${name}`).execute(tx);
      await sql.raw(`release savepoint ${name}`).execute(tx);
      return value;
    } catch (error) {
      await sql.raw(`rollback to savepoint ${name}`).execute(tx);
      await sql.raw(`release savepoint ${name}`).execute(tx);
      throw error;
    }
  }

  /** One transfer; `own_savepoint` false inside a linked batch, whose savepoint undoes it all. */
  async function applyOne(
    tx: Tx,
    input: TransferInput,
    batch_id: string | null,
    own_savepoint = true,
  ) {
    const invalid = validateTransferInput(input);
    if (invalid) return { id: input.id, result: invalid } satisfies TransferResult;
    const existing = await store.getTransfer(tx, input.id);
    if (existing) return compareReplay(input, existing);
    const attempt = own_savepoint
      ? await inSavepoint(
          tx,
          () => attemptNew(tx, input, batch_id),
          (a) => a.result === "created",
        )
      : await attemptNew(tx, input, batch_id);
    if (attempt.result === "race") {
      const winner = await store.getTransfer(tx, input.id);
      assert(winner, "a transfer id reported taken must exist");
      return compareReplay(input, winner);
    }
    return { id: input.id, ...attempt } as TransferResult;
  }

  async function attemptNew(tx: Tx, input: TransferInput, batch_id: string | null) {
    if (input.op === "transfer" || input.op === "hold") return attemptMovement(tx, input, batch_id);
    return attemptCloseHold(tx, input, batch_id);
  }

  async function attemptMovement(
    tx: Tx,
    input: Extract<TransferInput, { op: "transfer" | "hold" }>,
    batch_id: string | null,
  ): Promise<Attempt> {
    const metas = await metasOf(tx, [input.debit_account_id, input.credit_account_id]);
    const debit = metas.get(input.debit_account_id);
    const credit = metas.get(input.credit_account_id);
    if (!debit || !credit) return { result: "account_not_found" };
    if (debit.asset !== input.asset || credit.asset !== input.asset) {
      return { result: "asset_mismatch" };
    }
    const now_ms = clock.now_ms();
    const isHold = input.op === "hold";
    const transfer: Transfer = {
      id: input.id,
      kind: isHold ? "pending" : "posted",
      state: isHold ? "pending" : "posted",
      debit_account_id: debit.id,
      credit_account_id: credit.id,
      amount_minor: input.amount_minor,
      asset: input.asset,
      code: input.code,
      pending_id: null,
      timeout_at_ms: isHold && input.timeout_ms !== undefined ? now_ms + input.timeout_ms : null,
      posted_amount_minor: null,
      batch_id,
      metadata: input.metadata ?? {},
      created_at_ms: now_ms,
    };
    if (!(await store.insertTransfer(tx, transfer))) return { result: "race" };
    const amount = input.amount_minor;
    const debitSide = async () =>
      isHold ? store.reserveDebit(tx, debit.id, amount) : store.debitPosted(tx, debit.id, amount);
    const creditSide = async () =>
      isHold
        ? store.reserveCredit(tx, credit.id, amount)
        : store.creditPosted(tx, credit.id, amount);
    const failure = await inAccountOrder(debit.id, credit.id, debitSide, creditSide);
    if (failure === "debit") return { result: "exceeds_balance" };
    if (failure === "credit") return { result: "overflows_balance" };
    if (!isHold) await store.insertEntries(tx, transfer, amount);
    return { result: "created", transfer };
  }

  async function attemptCloseHold(
    tx: Tx,
    input: Extract<TransferInput, { op: "post" | "void" }>,
    batch_id: string | null,
  ): Promise<Attempt> {
    const hold = await store.getTransfer(tx, input.pending_id);
    if (hold?.kind !== "pending") return { result: "pending_not_found" };
    const closed = closedHoldResult(hold);
    if (closed) return { result: closed };
    const now_ms = clock.now_ms();
    if (hold.timeout_at_ms !== null && now_ms >= hold.timeout_at_ms) {
      return { result: "hold_expired" };
    }
    const isPost = input.op === "post";
    const posted = isPost ? (input.amount_minor ?? hold.amount_minor) : 0n;
    if (posted > hold.amount_minor) return { result: "amount_exceeds_pending" };
    const transfer: Transfer = {
      id: input.id,
      kind: isPost ? "post_pending" : "void_pending",
      state: "posted",
      debit_account_id: hold.debit_account_id,
      credit_account_id: hold.credit_account_id,
      amount_minor: isPost ? posted : hold.amount_minor,
      asset: hold.asset,
      code: input.code ?? hold.code,
      pending_id: hold.id,
      timeout_at_ms: null,
      posted_amount_minor: null,
      batch_id,
      metadata: input.metadata ?? {},
      created_at_ms: now_ms,
    };
    if (!(await store.insertTransfer(tx, transfer))) return { result: "race" };
    if (!(await store.closeHold(tx, hold.id, isPost ? "posted" : "voided", posted))) {
      const now = await store.getTransfer(tx, hold.id);
      return { result: (now && closedHoldResult(now)) || "pending_not_found" };
    }
    const held = hold.amount_minor;
    const failure = await inAccountOrder(
      hold.debit_account_id,
      hold.credit_account_id,
      () => store.settleHoldSide(tx, "debit", hold.debit_account_id, held, posted),
      () => store.settleHoldSide(tx, "credit", hold.credit_account_id, held, posted),
    );
    assert(failure !== "debit", `hold ${hold.id} was not reserved on its debit account`);
    if (failure === "credit") return { result: "overflows_balance" };
    if (posted > 0n) await store.insertEntries(tx, transfer, posted);
    return { result: "created", transfer };
  }

  /** Applies transfers in order. `linked`: all succeed or none is applied. */
  async function createTransfers(
    tx: Tx,
    inputs: TransferInput[],
    options: { linked?: boolean } = {},
  ): Promise<TransferResult[]> {
    assert(inputs.length <= limits.transfers_per_batch_max, "batch larger than the limit");
    assert(tx.isTransaction, "ledger writes need the caller's transaction");
    const batch_id = options.linked ? newId("bat", clock.now_ms()) : null;
    if (options.linked || inputs.length === 1) {
      // New transfers (the usual case) in a few statements; anything else, or a refusal, takes
      // the transfer-by-transfer path below, which names each result exactly.
      const fast = await applyBatch(tx, inputs, { batch_id, now_ms: clock.now_ms(), metasOf });
      if (fast) return fast;
    }
    if (!options.linked) {
      const results: TransferResult[] = [];
      for (const input of inputs) results.push(await applyOne(tx, input, null));
      return results;
    }
    const results = await inSavepoint(
      tx,
      async () => {
        const out: TransferResult[] = [];
        for (const input of inputs) {
          const r = await applyOne(tx, input, batch_id, false);
          out.push(r);
          if (!succeeded(r)) break;
        }
        return out;
      },
      (out) => out.length === inputs.length && out.every(succeeded),
    );
    const failed = results.find((r) => !succeeded(r));
    if (!failed) return results;
    return inputs.map((input) => (input.id === failed.id ? failed : linkedFailure(input.id)));
  }

  /** Opens (or finds) the account of `owner_id` for an asset and kind. */
  async function openAccount(
    tx: Executor,
    spec: { owner_id: string; asset: string; kind: AccountKind },
  ): Promise<Account> {
    const existing = await store.findAccount(tx, spec.owner_id, spec.asset, spec.kind);
    if (existing) {
      remember(tx, [existing]);
      return existing;
    }
    if ((await store.assetDecimals(tx, spec.asset)) === null) {
      throw new Problem(
        ledgerProblems.LEDGER_ASSET_UNKNOWN,
        `asset ${spec.asset} is not kept here`,
      );
    }
    await store.insertAccountIfAbsent(tx, { ...spec, id: newId("acc"), now_ms: clock.now_ms() });
    const account = await store.findAccount(tx, spec.owner_id, spec.asset, spec.kind);
    assert(account, "an account just opened must be found");
    remember(tx, [account]);
    return account;
  }

  /** The id of `owner_id`'s account of an asset and kind, opened if needed (balances unread). */
  async function accountId(
    tx: Executor,
    spec: { owner_id: string; asset: string; kind: AccountKind },
  ): Promise<string> {
    return (
      idByKey.get(keyOf(spec.owner_id, spec.asset, spec.kind)) ?? (await openAccount(tx, spec)).id
    );
  }

  /** Registers the configured assets; refuses to change the decimals of a known asset. */
  async function registerAssets(tx: Executor, assets: readonly Asset[]): Promise<void> {
    for (const asset of assets) {
      const known = await store.assetDecimals(tx, asset.code);
      if (known !== null && known !== asset.decimals) {
        throw new Error(
          `asset ${asset.code} has ${known} decimals in the ledger, config says ${asset.decimals}`,
        );
      }
      await store.insertAssetIfAbsent(tx, asset.code, asset.decimals, clock.now_ms());
    }
  }

  /**
   * Money crossing the hub's boundary: a deposit credits the owner's available account from the
   * hub's external account, a withdrawal debits it back. On-chain rails call these.
   */
  async function external(
    tx: Tx,
    direction: "deposit" | "withdrawal",
    spec: ExternalMovement,
  ): Promise<TransferResult> {
    const outside = await openAccount(tx, {
      owner_id: HUB_OWNER_ID,
      asset: spec.asset,
      kind: "external",
    });
    const owner = await openAccount(tx, {
      owner_id: spec.owner_id,
      asset: spec.asset,
      kind: "available",
    });
    const [debit, credit] = direction === "deposit" ? [outside, owner] : [owner, outside];
    const [result] = await createTransfers(tx, [
      {
        op: "transfer",
        id: spec.id,
        debit_account_id: debit.id,
        credit_account_id: credit.id,
        amount_minor: spec.amount_minor,
        asset: spec.asset,
        code: spec.code ?? direction,
        ...(spec.metadata ? { metadata: spec.metadata } : {}),
      },
    ]);
    assert(result, "one input gives one result");
    return result;
  }

  /** Voids holds whose timeout has passed; returns how many expired. */
  async function expireHolds(tx: Tx, limit: number): Promise<number> {
    const now_ms = clock.now_ms();
    let expired = 0;
    for (const hold of await store.dueHolds(tx, now_ms, limit)) {
      if (!(await store.closeHold(tx, hold.id, "expired", null))) continue;
      await inAccountOrder(
        hold.debit_account_id,
        hold.credit_account_id,
        () => store.settleHoldSide(tx, "debit", hold.debit_account_id, hold.amount_minor, 0n),
        () => store.settleHoldSide(tx, "credit", hold.credit_account_id, hold.amount_minor, 0n),
      );
      await store.insertTransfer(tx, {
        ...hold,
        id: newId("tr", now_ms),
        kind: "expire_pending",
        state: "posted",
        pending_id: hold.id,
        timeout_at_ms: null,
        batch_id: null,
        metadata: {},
        created_at_ms: now_ms,
      });
      expired++;
    }
    return expired;
  }

  /** Proves the ledger: zero sum per asset, balances equal their entries, holds add up. */
  async function verify(tx: Executor): Promise<LedgerReport> {
    const facts = await store.verificationFacts(tx);
    const failures: LedgerReport["failures"] = [];
    for (const s of facts.sums) {
      if (s.sum_minor !== 0n) {
        failures.push({
          check: "zero_sum",
          subject: s.asset,
          detail: `entries sum to ${s.sum_minor}`,
        });
      }
    }
    for (const m of facts.balanceMismatches) {
      failures.push({
        check: "balance_equals_entries",
        subject: m.id,
        detail: `balance ${m.balance_minor} but entries sum to ${m.entries_minor}`,
      });
    }
    for (const id of facts.pendingMismatches) {
      failures.push({
        check: "pending_equals_open_holds",
        subject: id,
        detail: "pending amounts differ from the sum of open holds",
      });
    }
    for (const id of facts.overdrawn) {
      failures.push({
        check: "no_overdraft",
        subject: id,
        detail: "available balance is negative",
      });
    }
    for (const id of facts.unbalancedTransfers) {
      failures.push({
        check: "transfer_balanced",
        subject: id,
        detail: "a transfer's entries do not pair up to zero",
      });
    }
    return {
      ok: failures.length === 0,
      sums: facts.sums.map((s) => ({ asset: s.asset, sum_minor: s.sum_minor })),
      accounts_checked: facts.accounts,
      entries_checked: facts.sums.reduce((n, s) => n + s.entries, 0),
      failures,
    };
  }

  return {
    createTransfers,
    /** One transfer; see createTransfers. */
    transfer: async (tx: Tx, input: TransferInput) => {
      const [r] = await createTransfers(tx, [input]);
      assert(r, "one input gives one result");
      return r;
    },
    openAccount,
    accountId,
    registerAssets,
    /** Money arrives for an owner (credited from the external account). */
    deposit: (tx: Tx, spec: ExternalMovement) => external(tx, "deposit", spec),
    /** Money leaves for an owner (debited to the external account). */
    withdraw: (tx: Tx, spec: ExternalMovement) => external(tx, "withdrawal", spec),
    expireHolds,
    verify,
    getAccount: store.getAccount,
    accountsOf: store.accountsOf,
    getTransfer: store.getTransfer,
    listTransfers: store.listTransfers,
    listAssets: store.listAssets,
    /** The hub's account of a kind for an asset (external money, fees). */
    hubAccount: (tx: Executor, asset: string, kind: "external" | "fees") =>
      openAccount(tx, { owner_id: HUB_OWNER_ID, asset, kind }),
  };
}

export type Ledger = ReturnType<typeof createLedger>;

/**
 * Updates the two accounts of a transfer in account-id order, whichever side is debited, so that
 * concurrent transfers between the same accounts in opposite directions take row locks in the
 * same order and cannot deadlock. Stops at the first refused side and names it.
 */
async function inAccountOrder(
  debit_id: string,
  credit_id: string,
  debit: () => Promise<boolean>,
  credit: () => Promise<boolean>,
): Promise<"debit" | "credit" | null> {
  const steps: ["debit" | "credit", () => Promise<boolean>][] =
    debit_id < credit_id
      ? [
          ["debit", debit],
          ["credit", credit],
        ]
      : [
          ["credit", credit],
          ["debit", debit],
        ];
  for (const [side, step] of steps) if (!(await step())) return side;
  return null;
}

function succeeded(r: TransferResult): boolean {
  return r.result === "created" || r.result === "exists";
}

function linkedFailure(id: string): TransferResult {
  return { id, result: "linked_event_failed" };
}

function closedHoldResult(hold: Transfer): TransferResultCode | null {
  if (hold.state === "posted") return "pending_already_posted";
  if (hold.state === "voided") return "pending_already_voided";
  if (hold.state === "expired") return "hold_expired";
  return null;
}

const OP_KIND = { transfer: "posted", hold: "pending", post: "post_pending", void: "void_pending" };

/** A replay returns the first result when its fields match, or names the first field that differs. */
function compareReplay(input: TransferInput, existing: Transfer): TransferResult {
  const differs = (field: string): TransferResult => ({
    id: input.id,
    result: `exists_with_different_${field}`,
    field,
    transfer: existing,
  });
  if (OP_KIND[input.op] !== existing.kind) return differs("op");
  if (input.op === "transfer" || input.op === "hold") {
    if (input.debit_account_id !== existing.debit_account_id) return differs("debit_account_id");
    if (input.credit_account_id !== existing.credit_account_id) return differs("credit_account_id");
    if (input.amount_minor !== existing.amount_minor) return differs("amount_minor");
    if (input.asset !== existing.asset) return differs("asset");
    if (input.code !== existing.code) return differs("code");
  } else {
    if (input.pending_id !== existing.pending_id) return differs("pending_id");
    if (
      input.op === "post" &&
      input.amount_minor !== undefined &&
      input.amount_minor !== existing.amount_minor
    )
      return differs("amount_minor");
    if (input.code !== undefined && input.code !== existing.code) return differs("code");
  }
  if (canonicalJson(input.metadata ?? {}) !== canonicalJson(existing.metadata)) {
    return differs("metadata");
  }
  return { id: input.id, result: "exists", transfer: existing };
}

/** The Problem a client sees for a failed transfer result. */
export function transferProblem(r: TransferResult): Problem {
  const p = ledgerProblems;
  const detail = `transfer ${r.id}: ${r.result}`;
  if (r.result.startsWith("exists_with_different_")) {
    return new Problem(
      p.LEDGER_TRANSFER_CONFLICT,
      `transfer ${r.id} exists with a different ${r.field ?? "field"}`,
      { extensions: { field: r.field } },
    );
  }
  const table: Partial<Record<TransferResultCode, (typeof p)[keyof typeof p]>> = {
    account_not_found: p.LEDGER_ACCOUNT_NOT_FOUND,
    asset_mismatch: p.LEDGER_ASSET_MISMATCH,
    exceeds_balance: p.LEDGER_INSUFFICIENT_FUNDS,
    overflows_balance: p.LEDGER_BALANCE_OVERFLOW,
    amount_must_be_positive: p.LEDGER_AMOUNT_INVALID,
    amount_too_large: p.LEDGER_AMOUNT_INVALID,
    amount_exceeds_pending: p.LEDGER_AMOUNT_INVALID,
    pending_not_found: p.LEDGER_HOLD_NOT_FOUND,
    pending_already_posted: p.LEDGER_HOLD_CLOSED,
    pending_already_voided: p.LEDGER_HOLD_CLOSED,
    hold_expired: p.LEDGER_HOLD_EXPIRED,
    linked_event_failed: p.LEDGER_LINKED_BATCH_FAILED,
  };
  return new Problem(table[r.result] ?? p.LEDGER_TRANSFER_INVALID, detail, {
    extensions: { result: r.result },
  });
}

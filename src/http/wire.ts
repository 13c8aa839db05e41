import { Type } from "@sinclair/typebox";
import type { ApiKey, Principal } from "../identity/index.ts";
import { isoOf } from "../kernel/clock.ts";
import { decimalToMinor, minorToDecimal } from "../kernel/money.ts";
import { Problem } from "../kernel/problem.ts";
import type { Account, Transfer } from "../ledger/index.ts";
import { ledgerProblems } from "../ledger/index.ts";
import type { AppContext } from "./context.ts";
import { AssetCode, DecimalAmount, MoneySchema } from "./schemas.ts";

/** The decimals of a configured asset, or ASSET_UNKNOWN. */
export function decimalsOf(ctx: AppContext, asset: string): number {
  const found = ctx.config.assets.find((a) => a.code === asset);
  if (!found) {
    throw new Problem(ledgerProblems.LEDGER_ASSET_UNKNOWN, `asset ${asset} is not kept here`);
  }
  return found.decimals;
}

/** Parses a wire decimal into minor units, refusing precision the asset does not have. */
export function minorOf(ctx: AppContext, amount: string, asset: string, pointer: string): bigint {
  const decimals = decimalsOf(ctx, asset);
  const minor = decimalToMinor(amount, decimals);
  if (minor === null || minor <= 0n) {
    throw new Problem(
      ledgerProblems.LEDGER_AMOUNT_INVALID,
      `${amount} is not a positive ${asset} amount with at most ${decimals} decimals`,
      { errors: [{ pointer, detail: `at most ${decimals} decimals, greater than zero` }] },
    );
  }
  return minor;
}

export function moneyWire(ctx: AppContext, amount_minor: bigint, asset: string) {
  return {
    amount: minorToDecimal(amount_minor, decimalsOf(ctx, asset)),
    amount_minor: amount_minor.toString(),
    asset,
  };
}

export const AccountWire = Type.Object({
  id: Type.String(),
  owner_id: Type.String(),
  kind: Type.String(),
  asset: AssetCode,
  balance: DecimalAmount,
  balance_minor: Type.String(),
  available: Type.String(),
  available_minor: Type.String(),
  pending_debits_minor: Type.String(),
  pending_credits_minor: Type.String(),
});

export function accountWire(ctx: AppContext, a: Account) {
  const d = decimalsOf(ctx, a.asset);
  return {
    id: a.id,
    owner_id: a.owner_id,
    kind: a.kind,
    asset: a.asset,
    balance: minorToDecimal(a.balance_minor, d),
    balance_minor: a.balance_minor.toString(),
    available: minorToDecimal(a.available_minor, d),
    available_minor: a.available_minor.toString(),
    pending_debits_minor: a.pending_debits_minor.toString(),
    pending_credits_minor: a.pending_credits_minor.toString(),
  };
}

export const TransferWire = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  state: Type.String(),
  debit_account_id: Type.String(),
  credit_account_id: Type.String(),
  money: MoneySchema,
  code: Type.String(),
  pending_id: Type.Union([Type.String(), Type.Null()]),
  timeout_at: Type.Union([Type.String(), Type.Null()]),
  batch_id: Type.Union([Type.String(), Type.Null()]),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  created_at: Type.String(),
});

export function transferWire(ctx: AppContext, t: Transfer) {
  return {
    id: t.id,
    kind: t.kind,
    state: t.state,
    debit_account_id: t.debit_account_id,
    credit_account_id: t.credit_account_id,
    money: moneyWire(ctx, t.amount_minor, t.asset),
    code: t.code,
    pending_id: t.pending_id,
    timeout_at: t.timeout_at_ms === null ? null : isoOf(t.timeout_at_ms),
    batch_id: t.batch_id,
    metadata: t.metadata,
    created_at: isoOf(t.created_at_ms),
  };
}

export const PrincipalWire = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  handle: Type.String(),
  display_name: Type.String(),
  webhook_url: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  created_at: Type.String(),
});

export function principalWire(p: Principal) {
  return {
    id: p.id,
    kind: p.kind,
    handle: p.handle,
    display_name: p.display_name,
    webhook_url: p.webhook_url,
    status: p.status,
    created_at: isoOf(p.created_at_ms),
  };
}

export const ApiKeyWire = Type.Object({
  id: Type.String(),
  prefix: Type.String({ description: "First characters of the secret, to tell keys apart" }),
  scope: Type.Union([Type.Literal("read"), Type.Literal("write"), Type.Literal("admin")]),
  label: Type.String(),
  created_at: Type.String(),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
  dpop_jkt: Type.Union([Type.String(), Type.Null()], {
    description: "Thumbprint of the DPoP key this API key is bound to (RFC 9449 cnf.jkt)",
  }),
});

export function apiKeyWire(k: ApiKey) {
  return {
    id: k.id,
    prefix: k.prefix,
    scope: k.scope,
    label: k.label,
    created_at: isoOf(k.created_at_ms),
    last_used_at: k.last_used_at_ms === null ? null : isoOf(k.last_used_at_ms),
    revoked_at: k.revoked_at_ms === null ? null : isoOf(k.revoked_at_ms),
    dpop_jkt: k.dpop_jkt,
  };
}

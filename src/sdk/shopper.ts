import type { AgxClient } from "./client.ts";
import { decimalToMinor, knownAssetDecimals, minorToDecimal } from "./money.ts";
import { AgxProblem } from "./problem.ts";
import type { ResponseBody } from "./types.ts";

/** What the reference agent is asked to do. */
export interface ShopOptions {
  goal: string;
  /** The most it may spend, a decimal in `asset` (e.g. `"1.00"`). */
  budget: string;
  asset?: string;
  /** Decimals of `asset` when the SDK does not know it. */
  decimals?: number;
  /** The input every purchase gets; `{ text: goal }` by default. */
  input?: unknown;
  /** At most this many purchases (distinct services); 3 by default, at most 20. */
  calls_max?: number;
  /**
   * `channel` (default): a channel funded with exactly the budget, so the hub enforces it too.
   * `prepaid`: the account's balance. `x402`: each call paid on chain by the client's `payments`
   * hook (an @x402/fetch wrapper) when the hub answers 402; pass `paymentCap` to bound it.
   */
  rail?: "channel" | "prepaid" | "x402";
  /**
   * Set before every purchase to that purchase's quoted price (minor units): a payment hook
   * should refuse to pay more (a hub asking above its own quote is not paid).
   */
  paymentCap?: { max_minor: bigint };
  /** Progress lines, as they happen. */
  onProgress?: (line: string) => void;
}

export interface ReceiptOutcome {
  id: string;
  kind: string;
  valid: boolean;
  code?: string;
}

export interface Purchase {
  service: string;
  product_id: string;
  capability_id: string;
  quoted: string;
  charged: string;
  order_id: string;
  success: boolean;
  result: unknown;
  receipts: ReceiptOutcome[];
}

export type ShopStop = "done" | "calls_max" | "budget" | "budget_too_small" | "no_match";

/** The spend report: every purchase, what was skipped, and the money. */
export interface ShopReport {
  goal: string;
  asset: string;
  budget: string;
  spent: string;
  remaining: string;
  purchases: Purchase[];
  skipped: { service: string; reason: string }[];
  channel: { id: string; used: string; refund: string } | null;
  receipts_verified: number;
  receipts_invalid: number;
  stopped: ShopStop;
}

export const SHOP_CALLS_MAX = 20;

type Ranked = ResponseBody<"marketSearch">["quotes"][number];
interface Candidate {
  service: string;
  product_id: string;
  capability_id: string;
  price_minor: bigint;
}

/** Ranked quotes in the budget's asset, one per service, best first. */
function candidatesOf(ranked: Ranked[], asset: string): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const r of ranked) {
    const q = r.quote;
    if (!q || q.price.asset !== asset || seen.has(r.service.name)) continue;
    seen.add(r.service.name);
    const major = r.service.version.split(".")[0] ?? "1";
    out.push({
      service: r.service.ref,
      product_id: r.service.name,
      capability_id: `${q.operation}@v${major}`,
      price_minor: BigInt(q.price.amount_minor),
    });
  }
  return out;
}

/**
 * The reference agent: searches for the goal, buys the best-ranked quotes that fit what is left
 * of the budget, verifies every receipt offline, and never starts a call that could exceed the
 * budget. With the channel rail the hub enforces the same bound.
 */
export async function shop(client: AgxClient, options: ShopOptions): Promise<ShopReport> {
  const asset = options.asset ?? "USDC";
  const decimals = options.decimals ?? knownAssetDecimals[asset] ?? 6;
  const budget_minor = decimalToMinor(options.budget, decimals);
  if (budget_minor === null || budget_minor <= 0n) {
    throw new RangeError(`budget ${options.budget} is not a positive ${asset} amount`);
  }
  const calls_max = Math.min(Math.max(options.calls_max ?? 3, 1), SHOP_CALLS_MAX);
  const input = options.input ?? { text: options.goal };
  const say = options.onProgress ?? (() => {});
  const fmt = (minor: bigint) => minorToDecimal(minor, decimals);

  // No budget filter here: a budget below every quote must be told apart from no match.
  const found = await client.search({ query: options.goal, input, limit: 10 });
  const candidates = candidatesOf(found.quotes, asset);
  const report: ShopReport = {
    goal: options.goal,
    asset,
    budget: fmt(budget_minor),
    spent: "0",
    remaining: fmt(budget_minor),
    purchases: [],
    skipped: [],
    channel: null,
    receipts_verified: 0,
    receipts_invalid: 0,
    stopped: "done",
  };
  if (candidates.length === 0) return { ...report, stopped: "no_match" };
  if (!candidates.some((c) => c.price_minor <= budget_minor)) {
    for (const c of candidates) {
      report.skipped.push({ service: c.service, reason: `costs ${fmt(c.price_minor)} ${asset}` });
    }
    return { ...report, stopped: "budget_too_small" };
  }
  say(`${candidates.length} quotes for "${options.goal}"; budget ${report.budget} ${asset}`);

  const channel_id =
    (options.rail ?? "channel") === "channel"
      ? (await client.openChannel({ deposit: report.budget, asset })).channel.channel_id
      : undefined;
  let spent_minor = 0n;
  try {
    spent_minor = await buyAll(client, candidates, {
      report,
      budget_minor,
      calls_max,
      input,
      channel_id,
      fmt,
      say,
      rail: options.rail ?? "channel",
      ...(options.paymentCap ? { paymentCap: options.paymentCap } : {}),
    });
  } finally {
    if (channel_id) {
      const s = (await client.closeChannel(channel_id)).settlement;
      report.channel = { id: channel_id, used: s.used, refund: s.refund };
      say(`closed ${channel_id}: used ${s.used}, refunded ${s.refund} ${asset}`);
    }
  }
  report.spent = fmt(spent_minor);
  report.remaining = fmt(budget_minor - spent_minor);
  return report;
}

interface BuyState {
  report: ShopReport;
  budget_minor: bigint;
  calls_max: number;
  input: unknown;
  channel_id: string | undefined;
  fmt: (minor: bigint) => string;
  say: (line: string) => void;
  paymentCap?: { max_minor: bigint };
  rail: "channel" | "prepaid" | "x402";
}

async function buyAll(client: AgxClient, candidates: Candidate[], s: BuyState): Promise<bigint> {
  const { report } = s;
  let spent = 0n;
  for (const c of candidates) {
    if (report.purchases.length >= s.calls_max) {
      report.stopped = "calls_max";
      break;
    }
    if (c.price_minor > s.budget_minor - spent) {
      report.skipped.push({
        service: c.service,
        reason: `costs ${s.fmt(c.price_minor)}, ${s.fmt(s.budget_minor - spent)} left`,
      });
      report.stopped = "budget";
      continue;
    }
    const bought = await buyOne(client, c, s);
    if ("reason" in bought) {
      report.skipped.push({ service: c.service, reason: bought.reason });
      if (bought.stop) {
        report.stopped = "budget";
        break;
      }
      continue;
    }
    const charged = BigInt(bought.charged_minor);
    spent += charged;
    report.purchases.push(bought.purchase);
    s.say(
      `bought ${c.service} for ${bought.purchase.charged}; ${s.fmt(s.budget_minor - spent)} left`,
    );
  }
  return spent;
}

async function buyOne(
  client: AgxClient,
  c: Candidate,
  s: BuyState,
): Promise<{ purchase: Purchase; charged_minor: bigint } | { reason: string; stop: boolean }> {
  let out: Awaited<ReturnType<AgxClient["invoke"]>>;
  if (s.paymentCap) s.paymentCap.max_minor = c.price_minor;
  try {
    out = await client.invoke(c.product_id, c.capability_id, s.input, {
      ...(s.channel_id ? { channelId: s.channel_id } : {}),
    });
  } catch (error) {
    if (!(error instanceof AgxProblem)) throw error;
    // 402: the money ran out (the hub's own bound); anything else skips this service. On x402 a
    // 402 means this service does not take x402 (or asked above its quote): the next may.
    return {
      reason: `${error.code}: ${error.detail}`,
      stop: error.status === 402 && s.rail !== "x402",
    };
  } finally {
    if (s.paymentCap) s.paymentCap.max_minor = 0n;
  }
  const order = await client.getOrder(out.order_id);
  const refunded = order.payment?.status === "refunded" || order.status === "failed";
  const charged_minor = refunded ? 0n : BigInt(order.price.amount_minor);
  const receipts: ReceiptOutcome[] = [];
  const jwss = order.receipts.map((r) => ({ id: r.id, kind: r.kind, jws: r.jws }));
  if (out.peac_receipt)
    jwss.push({ id: "peac-receipt-header", kind: "header", jws: out.peac_receipt });
  for (const r of jwss) {
    const check = await client.verifyReceipt(r.jws);
    receipts.push({
      id: r.id,
      kind: r.kind,
      valid: check.valid,
      ...(check.valid ? {} : { code: check.code }),
    });
    if (check.valid) s.report.receipts_verified += 1;
    else s.report.receipts_invalid += 1;
  }
  return {
    charged_minor,
    purchase: {
      service: c.service,
      product_id: c.product_id,
      capability_id: c.capability_id,
      quoted: s.fmt(c.price_minor),
      charged: s.fmt(charged_minor),
      order_id: out.order_id,
      success: out.success,
      result: out.result,
      receipts,
    },
  };
}

import { verifyBillOfMaterials } from "./bom.ts";
import type { AgxClient } from "./client.ts";
import { decimalToMinor, knownAssetDecimals, minorToDecimal } from "./money.ts";
import type { ReceiptOutcome } from "./shopper.ts";
import type { PipelineJob } from "./types.ts";

/** What the planning agent is asked to do. */
export interface PlanOptions {
  /** The goal in words; the hub's discover turns it into a plan of calls. */
  goal: string;
  /** The most the whole plan may cost, a decimal in `asset`. */
  budget: string;
  asset?: string;
  decimals?: number;
  /**
   * `channel` (default): a channel funded with the budget pays the pipeline and is closed after,
   * refunding what was not used. `prepaid`: the balance. `x402`: the client's `payments` hook
   * pays the pipeline's 402 on chain (bound it with `paymentCap`).
   */
  rail?: "channel" | "prepaid" | "x402";
  /** Set to the budget while the pipeline is submitted: a payment hook pays no more. */
  paymentCap?: { max_minor: bigint };
  onProgress?: (line: string) => void;
}

export type PlanStop = "done" | "failed" | "no_plan" | "budget_too_small";

/** What the agent did: the plan and its quotes, each step's outcome, the money, the proofs. */
export interface PlanReport {
  goal: string;
  asset: string;
  budget: string;
  plan: { node_id: string; product_id: string; capability_id: string; price_usd: number | null }[];
  skipped: { goal: string; reason: string }[];
  job_id: string | null;
  steps: {
    node_id: string;
    product_id: string;
    capability_id: string;
    status: string;
    price: string;
    order_id: string | null;
    error: string | null;
    receipts: ReceiptOutcome[];
  }[];
  results: Record<string, unknown>;
  spent: string;
  refunded: string;
  channel: { id: string; used: string; refund: string } | null;
  bill_of_materials: { valid: boolean; code?: string; steps: number } | null;
  receipts_verified: number;
  receipts_invalid: number;
  stopped: PlanStop;
}

/** Longest the agent follows a pipeline that answered 202, and how often it looks. */
export const PLAN_WAIT_MS_MAX = 300_000;
const POLL_MS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PipelineResult {
  job_id: string;
  status: string;
  steps: {
    node_id: string;
    product_id: string;
    capability_id: string;
    status: string;
    price: string;
    order_id: string | null;
    error: string | null;
  }[];
  final_result: Record<string, unknown>;
  total: { amount: string };
  refunded: { amount: string };
  bill_of_materials: Record<string, unknown>;
}

/**
 * The reference planning agent: asks the hub to plan the goal within the budget (AIMP discover),
 * shows the plan's quotes, runs it as one pipeline on the chosen rail with the budget as its
 * bound, follows it to the end, verifies the signed bill of materials and every step's receipts
 * offline, and closes the channel, showing the refund. Nothing is spent when no plan fits.
 */
export async function runPlan(client: AgxClient, options: PlanOptions): Promise<PlanReport> {
  const asset = options.asset ?? "USDC";
  const decimals = options.decimals ?? knownAssetDecimals[asset] ?? 6;
  const budget_minor = decimalToMinor(options.budget, decimals);
  if (budget_minor === null || budget_minor <= 0n) {
    throw new RangeError(`budget ${options.budget} is not a positive ${asset} amount`);
  }
  const say = options.onProgress ?? (() => {});
  const budget = minorToDecimal(budget_minor, decimals);
  const found = await client.discover({ query: options.goal, budget_usd: budget });
  const plan = found.plan.map((s) => ({
    node_id: `s${s.step}`,
    product_id: s.product_id,
    capability_id: s.capability_id,
    price_usd: s.price_usd,
    input: s.draft_input,
  }));
  const report: PlanReport = {
    goal: options.goal,
    asset,
    budget,
    plan: plan.map(({ input: _, ...p }) => p),
    skipped: found.skipped as PlanReport["skipped"],
    job_id: null,
    steps: [],
    results: {},
    spent: "0",
    refunded: "0",
    channel: null,
    bill_of_materials: null,
    receipts_verified: 0,
    receipts_invalid: 0,
    stopped: "done",
  };
  if (plan.length === 0) {
    const overBudget = report.skipped.some((s) => /budget/.test(s.reason));
    return { ...report, stopped: overBudget ? "budget_too_small" : "no_plan" };
  }
  for (const p of plan) {
    say(`plan ${p.node_id}: ${p.product_id} ${p.capability_id} ~${p.price_usd ?? "?"} USD`);
  }

  const rail = options.rail ?? "channel";
  const channel_id =
    rail === "channel"
      ? (await client.openChannel({ deposit: budget, asset })).channel.channel_id
      : undefined;
  if (channel_id) say(`opened ${channel_id} with ${budget} ${asset}`);
  let result: PipelineResult;
  try {
    if (options.paymentCap) options.paymentCap.max_minor = budget_minor;
    try {
      result = await runToEnd(
        client,
        {
          budget,
          on_failure: "continue",
          ...(channel_id ? { channel_id } : {}),
          nodes: plan.map((p) => ({
            id: p.node_id,
            product_id: p.product_id,
            capability_id: p.capability_id,
            input: p.input,
          })),
        },
        say,
      );
    } finally {
      if (options.paymentCap) options.paymentCap.max_minor = 0n;
    }
  } finally {
    if (channel_id) {
      const s = (await client.closeChannel(channel_id)).settlement;
      report.channel = { id: channel_id, used: s.used, refund: s.refund };
      say(`closed ${channel_id}: used ${s.used}, refunded ${s.refund} ${asset}`);
    }
  }
  report.job_id = result.job_id;
  report.results = result.final_result ?? {};
  report.spent = result.total.amount;
  report.refunded = result.refunded.amount;
  report.stopped = result.status === "succeeded" ? "done" : "failed";
  const bom = await verifyBillOfMaterials(
    result.bill_of_materials,
    (await client.getJwks()) as Parameters<typeof verifyBillOfMaterials>[1],
  );
  report.bill_of_materials = bom.valid
    ? { valid: true, steps: bom.steps }
    : { valid: false, code: bom.code, steps: 0 };
  for (const s of result.steps) {
    const receipts: ReceiptOutcome[] = [];
    if (s.order_id) {
      for (const r of (await client.getOrder(s.order_id)).receipts) {
        const check = await client.verifyReceipt(r.jws);
        receipts.push({
          id: r.id,
          kind: r.kind,
          valid: check.valid,
          ...(check.valid ? {} : { code: check.code }),
        });
        if (check.valid) report.receipts_verified += 1;
        else report.receipts_invalid += 1;
      }
    }
    report.steps.push({ ...s, order_id: s.order_id ?? null, error: s.error ?? null, receipts });
  }
  return report;
}

/** Submits the pipeline and, when it answers 202, follows its job until it ends. */
async function runToEnd(
  client: AgxClient,
  body: Parameters<AgxClient["runPipeline"]>[0],
  say: (line: string) => void,
): Promise<PipelineResult> {
  const first = await client.runPipeline(body);
  if (first.status === 200) return first.body as unknown as PipelineResult;
  const job_id = first.body.job_id;
  // Paid by x402 without a key, the 202 carries the job's access token: the only way to read it.
  const job_token = (first.body as { job_token?: unknown }).job_token;
  const call = typeof job_token === "string" ? { job_token } : {};
  say(`pipeline ${job_id} is running`);
  const started = Date.now();
  while (Date.now() - started < PLAN_WAIT_MS_MAX) {
    await sleep(POLL_MS);
    const page: PipelineJob & { result?: unknown } = await client.job(job_id, call);
    if (page.result) return page.result as PipelineResult;
    say(`pipeline ${job_id}: ${page.status}`);
  }
  throw new Error(`pipeline ${job_id} did not end within ${PLAN_WAIT_MS_MAX} ms`);
}

import type { Command } from "commander";
import { type PlanReport, runPlan, type ShopReport, shop } from "../sdk/index.ts";
import {
  type ClientCliIo,
  clientOf,
  type HubFlags,
  jsonText,
  parseJsonFlag,
  processClientIo,
  runHubCommand,
  table,
  UsageError,
  withHubOptions,
} from "./hub-client.ts";

interface ShopFlags extends HubFlags {
  goal: string;
  budget: string;
  asset: string;
  input?: string;
  callsMax?: string;
  rail: string;
}

const RAILS = ["channel", "prepaid", "x402"] as const;
type Rail = (typeof RAILS)[number];

/**
 * The x402 payer of `--rail x402`: the wallet in AGX_WALLET_KEY (never a flag: argv is visible
 * to other users), paying on any EVM network the hub asks for, never more than the quoted price
 * of the purchase under way (`cap`, set by the shopper before each call).
 */
async function x402Payments(io: ClientCliIo, cap: { max_minor: bigint }) {
  const key = io.env.AGX_WALLET_KEY;
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
    throw new UsageError("--rail x402 needs AGX_WALLET_KEY: the paying wallet's 0x private key");
  }
  const [{ wrapFetchWithPayment, x402Client }, { ExactEvmScheme }, { toClientEvmSigner }, viem] =
    await Promise.all([
      import("@x402/fetch"),
      import("@x402/evm/exact/client"),
      import("@x402/evm"),
      import("viem/accounts"),
    ]);
  const account = viem.privateKeyToAccount(key as `0x${string}`);
  const payer = new x402Client()
    .register("eip155:*", new ExactEvmScheme(toClientEvmSigner(account)))
    // The hub names its own token; the cap below is the bound, in the token's atomic units.
    .setSpendControls({ maxAmountPerPayment: false, allowedAssets: true })
    .registerPolicy((_version, requirements) =>
      requirements.filter((r) => {
        const raw =
          (r as { amount?: string; maxAmountRequired?: string }).amount ??
          (r as { maxAmountRequired?: string }).maxAmountRequired;
        return raw !== undefined && /^[0-9]+$/.test(raw) && BigInt(raw) <= cap.max_minor;
      }),
    );
  // @x402/fetch throws on a 402 it cannot pay (no x402 terms, or none within the cap); the
  // shopper wants that 402 as the hub's problem, to skip the service and go on.
  const payments =
    (f: typeof fetch): typeof fetch =>
    async (input, init) => {
      let unpaid: Response | null = null;
      const seen: typeof fetch = async (i, n) => {
        const res = await f(i, n);
        unpaid = res.status === 402 ? res.clone() : null;
        return res;
      };
      try {
        return await wrapFetchWithPayment(seen, payer)(input, init);
      } catch (error) {
        if (unpaid) return unpaid;
        throw error;
      }
    };
  return { payments, address: account.address };
}

const stopReason: Record<ShopReport["stopped"], string> = {
  done: "bought everything that fit",
  calls_max: "reached the call limit",
  budget: "stopped before exceeding the budget",
  budget_too_small: "the budget is too small for any quote; nothing spent",
  no_match: "nothing in the catalogue matches; nothing spent",
};

/** The spend report for people. */
export function spendReportText(r: ShopReport): string {
  const lines = [`goal     ${r.goal}`, `budget   ${r.budget} ${r.asset}`];
  if (r.purchases.length) {
    const rows = [["service", "capability", "quoted", "charged", "order", "receipts"]];
    for (const p of r.purchases) {
      const ok = p.receipts.filter((x) => x.valid).length;
      rows.push([
        p.service,
        p.capability_id,
        p.quoted,
        p.charged,
        p.order_id,
        `${ok}/${p.receipts.length} verified`,
      ]);
    }
    lines.push("", table(rows).trimEnd());
  }
  for (const s of r.skipped) lines.push(`skipped  ${s.service}: ${s.reason}`);
  if (r.channel) {
    lines.push(`channel  ${r.channel.id}: used ${r.channel.used}, refunded ${r.channel.refund}`);
  }
  lines.push(
    "",
    `spent    ${r.spent} ${r.asset} of ${r.budget} (${r.remaining} left)`,
    `receipts ${r.receipts_verified} verified offline, ${r.receipts_invalid} invalid`,
    `stopped  ${stopReason[r.stopped]}`,
  );
  return `${lines.join("\n")}\n`;
}

async function runShop(flags: ShopFlags, io: ClientCliIo) {
  const callsMax = flags.callsMax === undefined ? undefined : Number(flags.callsMax);
  if (callsMax !== undefined && !(Number.isInteger(callsMax) && callsMax >= 1)) {
    throw new UsageError(`--calls-max ${flags.callsMax} is not a positive integer`);
  }
  if (!RAILS.includes(flags.rail as Rail)) {
    throw new UsageError(`--rail ${flags.rail} is not one of ${RAILS.join(", ")}`);
  }
  const rail = flags.rail as Rail;
  const paymentCap = { max_minor: 0n };
  const x402 = rail === "x402" ? await x402Payments(io, paymentCap) : null;
  if (x402 && !flags.json) io.err(`… paying with x402 from ${x402.address}\n`);
  const client = clientOf(flags, io, true, x402 ? { payments: x402.payments } : {});
  const report = await shop(client, {
    goal: flags.goal,
    budget: flags.budget,
    asset: flags.asset,
    rail,
    ...(x402 ? { paymentCap } : {}),
    ...(flags.input !== undefined ? { input: parseJsonFlag("--input", flags.input) } : {}),
    ...(callsMax !== undefined ? { calls_max: callsMax } : {}),
    ...(flags.json ? {} : { onProgress: (line: string) => io.err(`… ${line}\n`) }),
  });
  io.out(flags.json ? jsonText(report) : spendReportText(report));
  // A receipt that does not verify is a failure of the purchase, whatever else went well.
  if (report.receipts_invalid > 0) throw new UsageError("some receipts did not verify");
}

const planStop: Record<PlanReport["stopped"], string> = {
  done: "every step of the plan ran",
  failed: "some steps failed (not charged); the rest ran",
  no_plan: "the hub found no plan for this goal; nothing spent",
  budget_too_small: "no plan fits the budget; nothing spent",
};

/** The planning agent's report for people: plan, steps, money, proofs. */
export function planReportText(r: PlanReport): string {
  const lines = [`goal     ${r.goal}`, `budget   ${r.budget} ${r.asset}`];
  if (r.plan.length) {
    const rows = [["step", "product", "capability", "quoted (USD)"]];
    for (const p of r.plan) {
      rows.push([p.node_id, p.product_id, p.capability_id, String(p.price_usd ?? "?")]);
    }
    lines.push("", "plan", table(rows).trimEnd());
  }
  for (const s of r.skipped) lines.push(`skipped  ${s.goal}: ${s.reason}`);
  if (r.steps.length) {
    const rows = [["step", "status", "charged", "order", "receipts"]];
    for (const s of r.steps) {
      const ok = s.receipts.filter((x) => x.valid).length;
      rows.push([s.node_id, s.status, s.price, s.order_id ?? "-", `${ok}/${s.receipts.length}`]);
    }
    lines.push("", `pipeline ${r.job_id}`, table(rows).trimEnd());
    for (const [node, value] of Object.entries(r.results)) {
      lines.push(`result   ${node}: ${JSON.stringify(value).slice(0, 200)}`);
    }
  }
  if (r.channel) {
    lines.push(`channel  ${r.channel.id}: used ${r.channel.used}, refunded ${r.channel.refund}`);
  }
  if (r.bill_of_materials) {
    const b = r.bill_of_materials;
    lines.push(
      `bom      ${b.valid ? `signature verified offline, ${b.steps} steps` : `INVALID (${b.code})`}`,
    );
  }
  lines.push(
    "",
    `spent    ${r.spent} ${r.asset} of ${r.budget}, refunded ${r.refunded}`,
    `receipts ${r.receipts_verified} verified offline, ${r.receipts_invalid} invalid`,
    `stopped  ${planStop[r.stopped]}`,
  );
  return `${lines.join("\n")}\n`;
}

interface PlanFlags extends HubFlags {
  budget: string;
  asset: string;
  rail: string;
}

async function runPlanCommand(goal: string, flags: PlanFlags, io: ClientCliIo) {
  if (!RAILS.includes(flags.rail as Rail)) {
    throw new UsageError(`--rail ${flags.rail} is not one of ${RAILS.join(", ")}`);
  }
  const rail = flags.rail as Rail;
  const paymentCap = { max_minor: 0n };
  const x402 = rail === "x402" ? await x402Payments(io, paymentCap) : null;
  if (x402 && !flags.json) io.err(`… paying with x402 from ${x402.address}\n`);
  const client = clientOf(flags, io, true, x402 ? { payments: x402.payments } : {});
  const report = await runPlan(client, {
    goal,
    budget: flags.budget,
    asset: flags.asset,
    rail,
    ...(x402 ? { paymentCap } : {}),
    ...(flags.json ? {} : { onProgress: (line: string) => io.err(`… ${line}\n`) }),
  });
  io.out(flags.json ? jsonText(report) : planReportText(report));
  if (report.receipts_invalid > 0 || report.bill_of_materials?.valid === false) {
    throw new UsageError("some receipts or the bill of materials did not verify");
  }
}

/** `agx agent shop`: the reference agent that buys toward a goal within a budget. */
export function registerAgentCommands(program: Command, io: ClientCliIo = processClientIo): void {
  const agent = program.command("agent").description("reference agents");
  withHubOptions(
    agent
      .command("plan", { isDefault: true })
      .description(
        "plan a goal with the hub (discover), run the plan as one pipeline within --budget, " +
          "verify the bill of materials and receipts, show the refund",
      )
      .argument("<goal>", "what to get done, in words")
      .requiredOption("--budget <amount>", "the plan costs at most this much (e.g. 3.00)")
      .option("--asset <code>", "asset of the budget", "USDC")
      .option(
        "--rail <rail>",
        "channel (refund shown at close), prepaid, or x402 (on chain from AGX_WALLET_KEY)",
        "channel",
      ),
  ).action((goal: string, flags: PlanFlags) =>
    runHubCommand(io, () => runPlanCommand(goal, flags, io)),
  );
  withHubOptions(
    agent
      .command("shop")
      .description("search, buy the best quotes within --budget, verify every receipt, report")
      .requiredOption("--goal <text>", "what to buy, in words")
      .requiredOption("--budget <amount>", "spend at most this much (e.g. 1.00)")
      .option("--asset <code>", "asset of the budget", "USDC")
      .option("--input <json>", 'input for every call (default {"text": <goal>})')
      .option("--calls-max <n>", "at most this many purchases", "3")
      .option(
        "--rail <rail>",
        "channel (hub-enforced budget), prepaid, or x402 (on chain from AGX_WALLET_KEY)",
        "channel",
      ),
  ).action((flags: ShopFlags) => runHubCommand(io, () => runShop(flags, io)));
}

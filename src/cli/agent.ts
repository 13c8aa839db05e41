import type { Command } from "commander";
import { type ShopReport, shop } from "../sdk/index.ts";
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
  rail: "channel" | "prepaid";
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
  const report = await shop(clientOf(flags, io), {
    goal: flags.goal,
    budget: flags.budget,
    asset: flags.asset,
    rail: flags.rail,
    ...(flags.input !== undefined ? { input: parseJsonFlag("--input", flags.input) } : {}),
    ...(callsMax !== undefined ? { calls_max: callsMax } : {}),
    ...(flags.json ? {} : { onProgress: (line: string) => io.err(`… ${line}\n`) }),
  });
  io.out(flags.json ? jsonText(report) : spendReportText(report));
  // A receipt that does not verify is a failure of the purchase, whatever else went well.
  if (report.receipts_invalid > 0) throw new UsageError("some receipts did not verify");
}

/** `agx agent shop`: the reference agent that buys toward a goal within a budget. */
export function registerAgentCommands(program: Command, io: ClientCliIo = processClientIo): void {
  const agent = program.command("agent").description("reference agents");
  withHubOptions(
    agent
      .command("shop")
      .description("search, buy the best quotes within --budget, verify every receipt, report")
      .requiredOption("--goal <text>", "what to buy, in words")
      .requiredOption("--budget <amount>", "spend at most this much (e.g. 1.00)")
      .option("--asset <code>", "asset of the budget", "USDC")
      .option("--input <json>", 'input for every call (default {"text": <goal>})')
      .option("--calls-max <n>", "at most this many purchases", "3")
      .option("--rail <rail>", "channel (hub-enforced budget) or prepaid", "channel"),
  ).action((flags: ShopFlags) => runHubCommand(io, () => runShop(flags, io)));
}

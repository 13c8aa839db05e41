import type { Command } from "commander";
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

export interface SearchFlags extends HubFlags {
  input?: string;
  limit?: string;
  budget?: string;
  asset: string;
}

/** `agx search` (and `agx catalog search`): ranked quotes as a table. */
export async function search(query: string, flags: SearchFlags, io: ClientCliIo) {
  const limit = flags.limit === undefined ? undefined : Number(flags.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
    throw new UsageError(`--limit ${flags.limit} is not a positive integer`);
  }
  const found = await clientOf(flags, io).search({
    query,
    ...(flags.input !== undefined ? { input: parseJsonFlag("--input", flags.input) } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(flags.budget ? { context: { budget: { amount: flags.budget, asset: flags.asset } } } : {}),
  });
  if (flags.json) return io.out(jsonText(found));
  if (found.quotes.length === 0) return io.out(`no match for "${query}"\n`);
  const rows = [["#", "score", "product", "capability", "price", "service"]];
  found.quotes.forEach((r, i) => {
    const major = r.service.version.split(".")[0] ?? "1";
    const price = r.quote
      ? `${r.quote.price.amount} ${r.quote.price.asset}`
      : `unavailable (${r.quote_unavailable ?? "no quote"})`;
    const capability = r.quote ? `${r.quote.operation}@v${major}` : "-";
    rows.push([String(i + 1), r.score.toFixed(2), r.service.name, capability, price, r.service.id]);
  });
  io.out(table(rows, io));
}

interface InvokeFlags extends HubFlags {
  input: string;
  channel?: string;
}

async function invoke(product: string, capability: string, flags: InvokeFlags, io: ClientCliIo) {
  const input = parseJsonFlag("--input", flags.input);
  const client = clientOf(flags, io);
  const out = await client.invoke(product, capability, input, {
    ...(flags.channel ? { channelId: flags.channel } : {}),
  });
  if (flags.json) return io.out(jsonText(out));
  const order = await client.getOrder(out.order_id);
  io.out(`${out.success ? "ok" : "failed"}: ${product} ${capability}\n`);
  io.out(`order    ${out.order_id} (${order.status})\n`);
  io.out(`price    ${order.price.amount} ${order.price.asset} via ${order.rail}\n`);
  if (out.error) io.out(`error    ${out.error}\n`);
  if (out.peac_receipt) {
    const check = await client.verifyReceipt(out.peac_receipt);
    io.out(`receipt  ${check.valid ? "verified offline" : `INVALID (${check.code})`}\n`);
  }
  io.out(`result   ${JSON.stringify(out.result, null, 2)}\n`);
}

async function balance(flags: HubFlags, io: ClientCliIo) {
  const { items } = await clientOf(flags, io).balances();
  if (flags.json) return io.out(jsonText({ items }));
  if (items.length === 0) return io.out("no accounts yet (nothing deposited)\n");
  const rows = [["asset", "kind", "available", "balance"]];
  for (const a of items) rows.push([a.asset, a.kind, a.available, a.balance]);
  io.out(table(rows));
}

async function order(id: string, flags: HubFlags, io: ClientCliIo) {
  const client = clientOf(flags, io);
  const o = await client.getOrder(id);
  if (flags.json) return io.out(jsonText(o));
  io.out(`order    ${o.id} (${o.status})\n`);
  io.out(`service  ${o.service.ref} ${o.operation}\n`);
  io.out(`price    ${o.price.amount} ${o.price.asset} (fee ${o.fee.amount}) via ${o.rail}\n`);
  if (o.payment) io.out(`payment  ${o.payment.id} (${o.payment.status})\n`);
  if (o.error) io.out(`error    ${o.error}\n`);
  for (const r of o.receipts) {
    const check = await client.verifyReceipt(r.jws);
    io.out(
      `receipt  ${r.kind.padEnd(10)} ${r.id} ${check.valid ? "verified" : `INVALID (${check.code})`}\n`,
    );
  }
}

/** `agx search`, `agx invoke`, `agx balance` and `agx order`: a hub's API through the SDK. */
export function registerHubCommands(program: Command, io: ClientCliIo = processClientIo): void {
  withHubOptions(
    program
      .command("search <query>")
      .description("ranked quotes for a goal")
      .option("--input <json>", "the input to price the quotes for")
      .option("--limit <n>", "at most this many results")
      .option("--budget <amount>", "leave out what costs more")
      .option("--asset <code>", "asset of --budget", "USDC"),
  ).action((query: string, flags: SearchFlags) =>
    runHubCommand(io, () => search(query, flags, io)),
  );
  withHubOptions(
    program
      .command("invoke <product> <capability>")
      .description("call a paid capability (from the balance, or --channel)")
      .requiredOption("--input <json>", "the capability's input")
      .option("--channel <id>", "pay from this channel (ch_…)"),
  ).action((product: string, capability: string, flags: InvokeFlags) =>
    runHubCommand(io, () => invoke(product, capability, flags, io)),
  );
  withHubOptions(program.command("balance").description("my balances per asset")).action(
    (flags: HubFlags) => runHubCommand(io, () => balance(flags, io)),
  );
  withHubOptions(
    program.command("order <id>").description("one order: status, price, payment, receipts"),
  ).action((id: string, flags: HubFlags) => runHubCommand(io, () => order(id, flags, io)));
}

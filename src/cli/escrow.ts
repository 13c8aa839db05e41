import type { Command } from "commander";
import {
  type ClientCliIo,
  clientOf,
  type HubFlags,
  jsonText,
  listingFlags,
  processClientIo,
  runHubCommand,
  table,
  withHubOptions,
} from "./hub-client.ts";
import { paint, statusText } from "./ui.ts";

const STATES = ["pending", "broadcast", "done", "failed"] as const;

interface ListFlags extends HubFlags {
  state?: string;
  limit?: string;
}

async function list(flags: ListFlags, io: ClientCliIo) {
  const { state, limit } = listingFlags(flags, STATES);
  const page = await clientOf(flags, io).escrowActions({
    limit,
    ...(state ? { state } : {}),
  });
  if (flags.json) return io.out(jsonText(page));
  if (page.items.length === 0) {
    return io.out(state ? `no ${state} escrow actions\n` : "no escrow actions\n");
  }
  const rows = [["order", "action", "state", "attempts", "tx / error", "updated"]];
  for (const a of page.items) {
    const detail = a.state === "failed" ? `${a.error_code ?? "?"}: ${a.error ?? ""}` : a.tx_hash;
    rows.push([
      a.order_id,
      a.action,
      statusText(io, a.state),
      String(a.attempts),
      detail ?? "-",
      a.updated_at.slice(0, 19),
    ]);
  }
  io.out(table(rows, io));
  if (page.next_cursor) io.out(paint(io, "dim", "(more: --json shows next_cursor)\n"));
}

async function retry(orderId: string, flags: HubFlags, io: ClientCliIo) {
  const a = await clientOf(flags, io).retryEscrowAction(orderId);
  if (flags.json) return io.out(jsonText(a));
  io.out(
    `${statusText(io, a.state)} ${a.action} of ${a.order_id}: queued to be sent again on ${a.chain}\n`,
  );
}

/** `agx escrow list|retry`: the operator's on-chain escrow releases and refunds (admin key). */
export function registerEscrowCommands(program: Command, io: ClientCliIo = processClientIo): void {
  const escrow = program
    .command("escrow")
    .description("on-chain escrow releases and refunds the hub sends as arbiter (admin key)");
  withHubOptions(
    escrow
      .command("list")
      .description("escrow actions by order; --state failed lists the ones waiting for you")
      .option("--state <state>", STATES.join(", "))
      .option("--limit <n>", "at most this many (1–100)", "20"),
  ).action((flags: ListFlags) => runHubCommand(io, () => list(flags, io)));
  withHubOptions(
    escrow
      .command("retry <order-id>")
      .description("send a failed release or refund again (it is pending once more)"),
  ).action((orderId: string, flags: HubFlags) =>
    runHubCommand(io, () => retry(orderId, flags, io)),
  );
}

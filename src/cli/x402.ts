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

const STATES = ["pending", "settled", "released"] as const;

interface ListFlags extends HubFlags {
  state?: string;
  limit?: string;
}

async function settlements(flags: ListFlags, io: ClientCliIo) {
  const { state, limit } = listingFlags(flags, STATES);
  const page = await clientOf(flags, io).x402Settlements({
    limit,
    ...(state ? { state } : {}),
  });
  if (flags.json) return io.out(jsonText(page));
  if (page.items.length === 0) {
    return io.out(state ? `no ${state} x402 settlements\n` : "no x402 settlements\n");
  }
  const rows = [["id", "state", "network", "amount (atomic)", "valid before", "tx"]];
  for (const s of page.items) {
    rows.push([
      s.id,
      statusText(io, s.state),
      s.network,
      s.amount_atomic,
      s.valid_before?.slice(0, 19) ?? `${s.valid_before_s} s`,
      s.tx_hash ?? "-",
    ]);
  }
  io.out(table(rows, io));
  if (page.next_cursor) io.out(paint(io, "dim", "(more: --json shows next_cursor)\n"));
}

/** `agx x402 settlements`: every x402 payment's settlement record (admin key). */
export function registerX402Commands(program: Command, io: ClientCliIo = processClientIo): void {
  const x402 = program.command("x402").description("x402 payments the hub took (admin key)");
  withHubOptions(
    x402
      .command("settlements")
      .description(
        "settlement records by order or job; --state pending long past 'valid before' waits for you",
      )
      .option("--state <state>", STATES.join(", "))
      .option("--limit <n>", "at most this many (1–100)", "20"),
  ).action((flags: ListFlags) => runHubCommand(io, () => settlements(flags, io)));
}

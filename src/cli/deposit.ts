import type { Command } from "commander";
import { loadConfig } from "../config.ts";
import { systemClock } from "../kernel/clock.ts";
import { newId } from "../kernel/ids.ts";
import { decimalToMinor, minorToDecimal } from "../kernel/money.ts";
import { loadHub, overridesOf, type StorageFlags, storageOptions } from "./storage.ts";

/** `agx deposit <principal> <amount>`: credit a principal from the hub's external account. */
export function registerDepositCommand(program: Command): void {
  const cmd = program
    .command("deposit <principal-id> <amount>")
    .description("credit a principal (operators and tests; real money arrives via on-chain rails)")
    .option("--asset <code>", "asset code", "USDC")
    .option("--id <transfer-id>", "transfer id (makes retries safe); default a fresh one");
  for (const o of storageOptions()) cmd.addOption(o);
  cmd.action(
    async (
      principal: string,
      amount: string,
      flags: StorageFlags & { asset: string; id?: string },
    ) => {
      const config = loadConfig({ overrides: overridesOf(flags) });
      const asset = config.assets.find((a) => a.code === flags.asset);
      if (!asset) {
        process.stderr.write(`agx: asset ${flags.asset} is not configured\n`);
        process.exitCode = 2;
        return;
      }
      const minor = decimalToMinor(amount, asset.decimals);
      if (minor === null || minor <= 0n) {
        process.stderr.write(
          `agx: ${amount} is not a positive ${asset.code} amount (≤ ${asset.decimals} decimals)\n`,
        );
        process.exitCode = 2;
        return;
      }
      // Storage modules load only here: hub-client commands do not pay for them at start.
      const [{ allMigrations, databaseTargetOf }, { openDatabase }, { migrateToLatest }] =
        await Promise.all([loadHub(), import("../db/db.ts"), import("../db/migrate.ts")]);
      const [{ createIdentity }, { createLedger }] = await Promise.all([
        import("../identity/index.ts"),
        import("../ledger/index.ts"),
      ]);
      const db = openDatabase(databaseTargetOf(config));
      try {
        await migrateToLatest(db, allMigrations);
        if (!(await createIdentity({ clock: systemClock }).getPrincipal(db.kysely, principal))) {
          process.stderr.write(`agx: no principal ${principal}\n`);
          process.exitCode = 1;
          return;
        }
        const ledger = createLedger({ clock: systemClock });
        const id = flags.id ?? newId("dep");
        const r = await db.transaction((tx) =>
          ledger.deposit(tx, { id, owner_id: principal, amount_minor: minor, asset: asset.code }),
        );
        if (r.result !== "created" && r.result !== "exists") {
          process.stderr.write(`agx: deposit refused: ${r.result}\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(
          `${r.result} ${id}: ${minorToDecimal(minor, asset.decimals)} ${asset.code} → ${principal}\n`,
        );
      } finally {
        await db.close();
      }
    },
  );
}

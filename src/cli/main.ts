import { Command } from "commander";
import { ConfigError, loadConfig } from "../config.ts";
import { systemClock } from "../kernel/clock.ts";
import { stringifyWithBigints } from "../kernel/json.ts";
import { registerClientCommands } from "./commands.ts";
import { registerDepositCommand } from "./deposit.ts";
import { registerPeacCommands } from "./peac.ts";
import { registerReceiptCommands } from "./receipts.ts";
import {
  loadHub,
  overridesOf,
  type StorageFlags as ServeFlags,
  storageOptions,
} from "./storage.ts";

async function serve(flags: ServeFlags): Promise<void> {
  const config = loadConfig({ overrides: overridesOf(flags) });
  const { createHub } = await loadHub();
  const hub = await createHub(config);
  const url = await hub.listen();
  if (config.workers) hub.startWorkers();
  hub.ctx.logger.info({ url, database: hub.ctx.db.describe }, "agx is listening");
  process.stdout.write(`agx listening on ${url} (${hub.ctx.db.describe})\n`);
  if (hub.first_admin_key) {
    // Printed once to the terminal, never to the log stream.
    process.stdout.write(
      `\nOperator admin key (shown once, store it now):\n  ${hub.first_admin_key}\n\n`,
    );
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    hub.ctx.logger.info({ signal }, "shutting down");
    await hub.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

async function migrate(flags: ServeFlags): Promise<void> {
  const config = loadConfig({ overrides: overridesOf(flags) });
  const { allMigrations, databaseTargetOf } = await loadHub();
  const { openDatabase } = await import("../db/db.ts");
  const { migrateToLatest } = await import("../db/migrate.ts");
  const db = openDatabase(databaseTargetOf(config));
  try {
    const applied = await migrateToLatest(db, allMigrations);
    process.stdout.write(
      applied.length ? `applied: ${applied.join(", ")}\n` : "database is up to date\n",
    );
  } finally {
    await db.close();
  }
}

async function verifyLedger(flags: ServeFlags): Promise<void> {
  const config = loadConfig({ overrides: overridesOf(flags) });
  const { allMigrations, databaseTargetOf } = await loadHub();
  const { openDatabase } = await import("../db/db.ts");
  const { migrateToLatest } = await import("../db/migrate.ts");
  const { createLedger } = await import("../ledger/index.ts");
  const db = openDatabase(databaseTargetOf(config));
  try {
    await migrateToLatest(db, allMigrations);
    const report = await createLedger({ clock: systemClock }).verify(db.kysely);
    process.stdout.write(`${stringifyWithBigints(report)}\n`);
    if (!report.ok) process.exitCode = 1;
  } finally {
    await db.close();
  }
}

/** Builds the `agx` command. */
export function buildCli(): Command {
  const program = new Command("agx").description("agx — the agent exchange").showHelpAfterError();
  const serveCmd = program
    .command("serve")
    .description("start the hub (HTTP API, workers)")
    .option("-p, --port <port>", "port to listen on, 0 for any free port (AGX_PORT)")
    .option("--host <host>", "address to bind (AGX_HOST)");
  for (const o of storageOptions()) serveCmd.addOption(o);
  serveCmd.action(serve);
  const migrateCmd = program.command("migrate").description("apply pending database migrations");
  for (const o of storageOptions()) migrateCmd.addOption(o);
  migrateCmd.action(migrate);
  const ledger = program.command("ledger").description("ledger maintenance");
  const verifyCmd = ledger.command("verify").description("prove the ledger sums to zero");
  for (const o of storageOptions()) verifyCmd.addOption(o);
  verifyCmd.action(verifyLedger);
  registerReceiptCommands(program);
  registerPeacCommands(program);
  registerDepositCommand(program);
  registerClientCommands(program);
  return program;
}

/** Entry point of bin/agx.js. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`agx: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

import type { Command } from "commander";
import { registerAgentCommands } from "./agent.ts";
import { registerBenchCommand } from "./bench.ts";
import { registerCatalogCommands } from "./catalog.ts";
import { registerEscrowCommands } from "./escrow.ts";
import { type ClientCliIo, processClientIo } from "./hub-client.ts";
import { registerHubCommands } from "./hub-commands.ts";
import { registerKeyCommands } from "./keys.ts";
import { registerMachineCommands } from "./machines.ts";
import { registerPipelineCommand } from "./pipeline.ts";
import { registerWebhookCommands } from "./webhooks.ts";
import { registerX402Commands } from "./x402.ts";

/** Every command that talks to a hub through the SDK (or runs the benchmarks), on one io. */
export function registerClientCommands(program: Command, io: ClientCliIo = processClientIo): void {
  registerHubCommands(program, io);
  registerCatalogCommands(program, io);
  registerKeyCommands(program, io);
  registerMachineCommands(program, io);
  registerWebhookCommands(program, io);
  registerEscrowCommands(program, io);
  registerX402Commands(program, io);
  registerPipelineCommand(program, io);
  registerAgentCommands(program, io);
  registerBenchCommand(program, io);
}

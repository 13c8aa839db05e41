import type { Command } from "commander";
import type { Hex } from "viem";
import type { AgxClient } from "../sdk/index.ts";
import {
  type ClientCliIo,
  clientOf,
  type HubFlags,
  jsonText,
  processClientIo,
  runHubCommand,
  table,
  UsageError,
  withHubOptions,
} from "./hub-client.ts";
import { statusText } from "./ui.ts";

type Machine = Awaited<ReturnType<AgxClient["machine"]>>["item"];

function machineText(io: ClientCliIo, m: Machine): string {
  const lines = [
    `machine  ${m.id} (${statusText(io, m.status)})`,
    `name     ${m.displayName}`,
    `identity ${m.identityRef}`,
    `signer   ${m.identityProof.signerAddress}, proven ${m.identityProof.verifiedAt}`,
    `type     ${m.machineType} · ${m.runtimeProfile} · ${m.region}`,
  ];
  if (m.capabilities.length) lines.push(`can      ${m.capabilities.join(", ")}`);
  if (m.skillKeys.length) lines.push(`skills   ${m.skillKeys.join(", ")}`);
  return `${lines.join("\n")}\n`;
}

async function list(flags: HubFlags, io: ClientCliIo) {
  const items: Machine[] = [];
  for await (const m of clientOf(flags, io).allMachines()) items.push(m);
  if (flags.json) return io.out(jsonText({ items }));
  if (items.length === 0) return io.out("no machines (agx machines register adds one)\n");
  const rows = [["id", "name", "status", "identity", "type", "region"]];
  for (const m of items) {
    rows.push([m.id, m.displayName, m.status, m.identityRef, m.machineType, m.region]);
  }
  io.out(table(rows, io));
}

async function show(id: string, flags: HubFlags, io: ClientCliIo) {
  const { item } = await clientOf(flags, io).machine(id);
  io.out(flags.json ? jsonText({ item }) : machineText(io, item));
}

async function challenge(identityRef: string, flags: HubFlags, io: ClientCliIo) {
  const { item } = await clientOf(flags, io).machineChallenge(identityRef);
  if (flags.json) return io.out(jsonText({ item }));
  io.out(`challenge ${item.challengeId} (expires ${item.expiresAt})\n`);
  io.out(`signers   ${item.controllerAddresses.join(", ")}\n`);
  io.out(`sign exactly this text with EIP-191 personal_sign:\n${item.message}\n`);
  io.out(
    `then: agx machines register ${identityRef} --challenge-id ${item.challengeId} --signature 0x…\n`,
  );
}

interface RegisterFlags extends HubFlags {
  privateKey?: string;
  challengeId?: string;
  signature?: string;
  name?: string;
  type?: string;
  region?: string;
  capability?: string[];
  draft?: boolean;
}

/** The proof: signed here with the controller's key, or brought along as challenge + signature. */
async function proofOf(
  client: AgxClient,
  identityRef: string,
  flags: RegisterFlags,
  io: ClientCliIo,
) {
  if (flags.challengeId || flags.signature) {
    if (!flags.challengeId || !flags.signature) {
      throw new UsageError("--challenge-id and --signature go together");
    }
    return { challengeId: flags.challengeId, signature: flags.signature };
  }
  const key = flags.privateKey ?? io.env.AGX_MACHINE_KEY;
  if (!key) {
    throw new UsageError(
      "no proof: set AGX_MACHINE_KEY (the controller's private key), or pass " +
        "--challenge-id and --signature (agx machines challenge prints what to sign)",
    );
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new UsageError("the private key is not 0x + 64 hex");
  // viem loads only for the one command that signs.
  const { privateKeyToAccount } = await import("viem/accounts");
  const account = privateKeyToAccount(key as Hex);
  const { item } = await client.machineChallenge(identityRef);
  return {
    challengeId: item.challengeId,
    signature: await account.signMessage({ message: item.message }),
  };
}

async function register(identityRef: string, flags: RegisterFlags, io: ClientCliIo) {
  const client = clientOf(flags, io);
  const identityProof = await proofOf(client, identityRef, flags, io);
  const { item } = await client.registerMachine({
    identityRef,
    identityProof,
    ...(flags.name ? { displayName: flags.name } : {}),
    ...(flags.type ? { machineType: flags.type } : {}),
    ...(flags.region ? { region: flags.region } : {}),
    ...(flags.capability?.length ? { capabilities: flags.capability } : {}),
    ...(flags.draft ? { activate: false } : {}),
  });
  io.out(flags.json ? jsonText({ item }) : machineText(io, item));
}

async function pairingsList(machineId: string | undefined, flags: HubFlags, io: ClientCliIo) {
  const client = clientOf(flags, io);
  const machines: string[] = [];
  if (machineId) machines.push(machineId);
  else for await (const m of client.allMachines()) machines.push(m.id);
  const items = [];
  for (const id of machines) items.push(...(await client.pairings(id)).items);
  if (flags.json) return io.out(jsonText({ items }));
  if (items.length === 0) return io.out("no pairings\n");
  const rows = [["id", "machine", "status", "agent", "role", "spent today", "session expires"]];
  for (const p of items) {
    const today = p.spend.map((s) => `${s.today.amount} ${s.asset}`).join(", ") || "0";
    rows.push([
      p.id,
      p.machineId,
      p.status,
      p.agentAddress,
      p.agentRole,
      today,
      p.sessionExpiresAt ?? "-",
    ]);
  }
  io.out(table(rows, io));
}

async function pairingRevoke(
  machineId: string,
  pairingId: string,
  flags: HubFlags,
  io: ClientCliIo,
) {
  const { item } = await clientOf(flags, io).revokePairing(machineId, pairingId);
  if (flags.json) return io.out(jsonText({ item }));
  io.out(`${statusText(io, item.status)} ${item.id}: its tokens are refused from now on\n`);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `agx machines list|show|challenge|register` and `agx pairings list|revoke`. */
export function registerMachineCommands(program: Command, io: ClientCliIo = processClientIo): void {
  const machines = program.command("machines").description("your machines (peaq identities)");
  withHubOptions(machines.command("list").description("your machines")).action((flags: HubFlags) =>
    runHubCommand(io, () => list(flags, io)),
  );
  withHubOptions(
    machines.command("show <machine-id>").description("one machine, its proof re-checked"),
  ).action((id: string, flags: HubFlags) => runHubCommand(io, () => show(id, flags, io)));
  withHubOptions(
    machines
      .command("challenge <identity-ref>")
      .description("print the challenge a controller signs to register (did:pkh:eip155:…)"),
  ).action((ref: string, flags: HubFlags) => runHubCommand(io, () => challenge(ref, flags, io)));
  withHubOptions(
    machines
      .command("register <identity-ref>")
      .description("register a machine: signs the challenge with AGX_MACHINE_KEY, or takes one")
      .option("--private-key <hex>", "the controller's key (prefer AGX_MACHINE_KEY)")
      .option("--challenge-id <id>", "a challenge signed elsewhere …")
      .option("--signature <hex>", "… and its EIP-191 signature")
      .option("--name <text>", "display name")
      .option("--type <text>", "machine type")
      .option("--region <code>", "region")
      .option("--capability <name>", "a capability (repeatable)", collect)
      .option("--draft", "register without activating"),
  ).action((ref: string, flags: RegisterFlags) =>
    runHubCommand(io, () => register(ref, flags, io)),
  );

  const pairings = program.command("pairings").description("agents paired to your machines");
  withHubOptions(
    pairings
      .command("list [machine-id]")
      .description("pairings of one machine, or of all of yours, with today's spend"),
  ).action((id: string | undefined, flags: HubFlags) =>
    runHubCommand(io, () => pairingsList(id, flags, io)),
  );
  withHubOptions(
    pairings
      .command("revoke <machine-id> <pairing-id>")
      .description("revoke a pairing at once (every token of it is refused)"),
  ).action((machineId: string, pairingId: string, flags: HubFlags) =>
    runHubCommand(io, () => pairingRevoke(machineId, pairingId, flags, io)),
  );
}

import type { Command } from "commander";
import { AgxProblem } from "../sdk/index.ts";
import {
  type ClientCliIo,
  clientOf,
  type HubFlags,
  jsonText,
  printProblem,
  processClientIo,
  runHubCommand,
  table,
  UsageError,
  WorkFailed,
  withHubOptions,
} from "./hub-client.ts";
import { paint } from "./ui.ts";

const SCOPES = ["read", "write", "admin"] as const;
type Scope = (typeof SCOPES)[number];

interface CreateFlags extends HubFlags {
  scope: string;
  label?: string;
  dpopJkt?: string;
}

function scopeOf(text: string): Scope {
  if (!(SCOPES as readonly string[]).includes(text)) {
    throw new UsageError(`--scope ${text}: one of ${SCOPES.join(", ")}`);
  }
  return text as Scope;
}

/** The secret, once, with the warning people need. */
function secretText(io: ClientCliIo, id: string, secret: string): string {
  return `key      ${id}\nsecret   ${paint(io, "bold", secret)}\n${paint(io, "yellow", "shown once: store it now")}\n`;
}

async function create(flags: CreateFlags, io: ClientCliIo) {
  const made = await clientOf(flags, io).createKey({
    scope: scopeOf(flags.scope),
    ...(flags.label ? { label: flags.label } : {}),
    ...(flags.dpopJkt ? { dpop_jkt: flags.dpopJkt } : {}),
  });
  if (flags.json) return io.out(jsonText(made));
  io.out(secretText(io, made.key.id, made.secret));
}

async function list(flags: HubFlags & { all?: boolean }, io: ClientCliIo) {
  const { items } = await clientOf(flags, io).keys();
  const shown = flags.all ? items : items.filter((k) => k.revoked_at === null);
  if (flags.json) return io.out(jsonText({ items: shown }));
  if (shown.length === 0) return io.out("no keys\n");
  const rows = [["id", "prefix", "scope", "label", "created", "last used", "state"]];
  for (const k of shown) {
    rows.push([
      k.id,
      k.prefix,
      k.scope,
      k.label || "-",
      k.created_at.slice(0, 19),
      k.last_used_at?.slice(0, 19) ?? "never",
      k.revoked_at ? `revoked ${k.revoked_at.slice(0, 10)}` : k.dpop_jkt ? "live (DPoP)" : "live",
    ]);
  }
  io.out(table(rows, io));
}

async function revoke(id: string, flags: HubFlags, io: ClientCliIo) {
  const { key } = await clientOf(flags, io).revokeKey(id);
  if (flags.json) return io.out(jsonText({ key }));
  io.out(`revoked  ${key.id} (${key.prefix}…, ${key.scope})\n`);
}

async function rotate(id: string, flags: HubFlags, io: ClientCliIo) {
  const r = await clientOf(flags, io).rotateKey(id);
  if (flags.json) {
    io.out(jsonText({ ...r, revoke_error: r.revoke_error ? String(r.revoke_error) : null }));
  } else {
    io.out(secretText(io, r.key.id, r.secret));
    if (r.revoked) io.out(`revoked  ${r.revoked.id} (the old key)\n`);
  }
  if (r.revoke_error) {
    if (r.revoke_error instanceof AgxProblem) printProblem(r.revoke_error, io);
    throw new WorkFailed(
      `the new key ${r.key.id} exists but ${id} is still live: run agx keys revoke ${id}`,
    );
  }
}

/** `agx keys create|list|revoke|rotate`: the caller's API keys, through the hub's API. */
export function registerKeyCommands(program: Command, io: ClientCliIo = processClientIo): void {
  const keys = program.command("keys").description("your API keys (sk_agx_…) on a hub");
  withHubOptions(
    keys
      .command("create")
      .description("create a key; its secret is printed once")
      .option("--scope <scope>", "read, write or admin (at most your key's own)", "write")
      .option("--label <text>", "a name to tell keys apart")
      .option("--dpop-jkt <thumbprint>", "bind the key to a DPoP key (RFC 7638 thumbprint)"),
  ).action((flags: CreateFlags) => runHubCommand(io, () => create(flags, io)));
  withHubOptions(
    keys.command("list").description("your keys (live ones; --all adds revoked)").option("--all"),
  ).action((flags: HubFlags & { all?: boolean }) => runHubCommand(io, () => list(flags, io)));
  withHubOptions(keys.command("revoke <key-id>").description("revoke a key at once")).action(
    (id: string, flags: HubFlags) => runHubCommand(io, () => revoke(id, flags, io)),
  );
  withHubOptions(
    keys
      .command("rotate <key-id>")
      .description("replace a key: a new one of the same scope and label, then the old revoked"),
  ).action((id: string, flags: HubFlags) => runHubCommand(io, () => rotate(id, flags, io)));
}

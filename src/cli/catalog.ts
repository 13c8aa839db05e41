import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import type { RequestBody } from "../sdk/index.ts";
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
import { type SearchFlags, search } from "./hub-commands.ts";
import { paint } from "./ui.ts";

type SkillBody = RequestBody<"publishSkill">;
type ServiceBody = RequestBody<"publishService">;

/** Entries one `catalog publish` file may hold; a bound, so a runaway file is refused whole. */
export const CATALOG_FILE_ENTRIES_MAX = 200;
const CATALOG_FILE_BYTES_MAX = 2 * 1024 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A JSON or YAML file (YAML unless it ends in .json), bounded, errors as usage errors. */
export function readStructuredFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (Buffer.byteLength(text) > CATALOG_FILE_BYTES_MAX) {
    throw new UsageError(`${path} is larger than ${CATALOG_FILE_BYTES_MAX} bytes`);
  }
  try {
    return path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new UsageError(`${path} is not JSON or YAML: ${(error as Error).message}`);
  }
}

/**
 * Reads a catalogue file (JSON or YAML): `{ skills: [...], services: [...] }`, one skill (it has
 * `operations`), one service (it has `skill_key`), or a list of them. Skills come first, so a
 * file can publish a skill and the services offering it. The hub validates each entry.
 */
export function readCatalogFile(path: string): { skills: SkillBody[]; services: ServiceBody[] } {
  const doc = readStructuredFile(path);
  const skills: SkillBody[] = [];
  const services: ServiceBody[] = [];
  const add = (entry: unknown, where: string) => {
    if (isObject(entry) && "skill_key" in entry) services.push(entry as unknown as ServiceBody);
    else if (isObject(entry) && "operations" in entry) skills.push(entry as unknown as SkillBody);
    else throw new UsageError(`${where}: neither a skill (operations) nor a service (skill_key)`);
  };
  if (isObject(doc) && ("skills" in doc || "services" in doc)) {
    const lists = { skills: doc.skills ?? [], services: doc.services ?? [] };
    for (const [name, list] of Object.entries(lists)) {
      if (!Array.isArray(list)) throw new UsageError(`${path}: ${name} is not a list`);
      list.forEach((e, i) => {
        add(e, `${path} ${name}[${i}]`);
      });
    }
  } else if (Array.isArray(doc)) {
    doc.forEach((e, i) => {
      add(e, `${path} [${i}]`);
    });
  } else {
    add(doc, path);
  }
  if (skills.length + services.length === 0) throw new UsageError(`${path} holds nothing`);
  if (skills.length + services.length > CATALOG_FILE_ENTRIES_MAX) {
    throw new UsageError(`${path} holds more than ${CATALOG_FILE_ENTRIES_MAX} entries`);
  }
  return { skills, services };
}

/** The same entry always gets the same key: publishing a file again replays, never duplicates. */
const keyOf = (entry: unknown) =>
  `catalog_${createHash("sha256").update(JSON.stringify(entry)).digest("hex").slice(0, 40)}`;

async function publish(path: string, flags: HubFlags, io: ClientCliIo) {
  const { skills, services } = readCatalogFile(path);
  const client = clientOf(flags, io);
  const rows = [["kind", "id", "name", "version", "status"]];
  const published: unknown[] = [];
  try {
    for (const s of skills) {
      const made = await client.publishSkill(s, { idempotencyKey: keyOf(s) });
      published.push({ kind: "skill", ...made });
      rows.push(["skill", made.id, made.key, made.version, "published"]);
    }
    for (const s of services) {
      const made = await client.publishService(s, { idempotencyKey: keyOf(s) });
      published.push({ kind: "service", ...made });
      rows.push(["service", made.id, made.name, made.version, made.status]);
    }
  } finally {
    // What went through is worth knowing even when a later entry was refused.
    if (flags.json) io.out(jsonText({ published }));
    else if (rows.length > 1) io.out(table(rows, io));
  }
}

interface QuoteFlags extends HubFlags {
  operation?: string;
  input?: string;
}

async function quote(serviceId: string, flags: QuoteFlags, io: ClientCliIo) {
  if (!/^svc_[0-9a-z]{26}$/.test(serviceId)) {
    throw new UsageError(`${serviceId} is not a service id (svc_…; agx search shows them)`);
  }
  const q = await clientOf(flags, io).quote({
    service_id: serviceId,
    ...(flags.operation ? { operation: flags.operation } : {}),
    ...(flags.input !== undefined ? { input: parseJsonFlag("--input", flags.input) } : {}),
  });
  if (flags.json) return io.out(jsonText(q));
  io.out(`quote    ${q.id}\n`);
  io.out(`service  ${q.service} (${q.skill_key}) ${q.operation}\n`);
  io.out(
    `price    ${paint(io, "bold", `${q.price.amount} ${q.price.asset}`)} (${q.units} units)\n`,
  );
  io.out(`expires  ${q.expires_at}\n`);
}

/** `agx catalog publish <file>`, `agx catalog search` and `agx quote`. */
export function registerCatalogCommands(program: Command, io: ClientCliIo = processClientIo): void {
  const catalog = program.command("catalog").description("the hub's catalogue of skills/services");
  withHubOptions(
    catalog
      .command("publish <file>")
      .description("publish skills and services from a JSON or YAML file (safe to re-run)"),
  ).action((path: string, flags: HubFlags) => runHubCommand(io, () => publish(path, flags, io)));
  withHubOptions(
    catalog
      .command("search <query>")
      .description("ranked quotes for a goal (same as agx search)")
      .option("--input <json>", "the input to price the quotes for")
      .option("--limit <n>", "at most this many results")
      .option("--budget <amount>", "leave out what costs more")
      .option("--asset <code>", "asset of --budget", "USDC"),
  ).action((query: string, flags: SearchFlags) =>
    runHubCommand(io, () => search(query, flags, io)),
  );
  withHubOptions(
    program
      .command("quote <service-id>")
      .description("a signed, expiring price for one call of a service")
      .option("--operation <name>", "the skill operation (default its first)")
      .option("--input <json>", "the input to price"),
  ).action((id: string, flags: QuoteFlags) => runHubCommand(io, () => quote(id, flags, io)));
}

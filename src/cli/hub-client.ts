import { type Command, Option } from "commander";
import { AgxClient, type AgxClientOptions, AgxNetworkError, AgxProblem } from "../sdk/index.ts";

/** Where hub commands write and how they end; tests pass their own. */
export interface ClientCliIo {
  out(text: string): void;
  err(text: string): void;
  setExitCode(code: number): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Colour the human output (stdout is a terminal and NO_COLOR is unset). */
  colour?: boolean;
  /** stderr is a terminal: progress redraws one line instead of printing many. */
  errIsTty?: boolean;
}

/**
 * Exit codes of the commands that talk to a hub: 0 done; 1 the hub refused (its problem on
 * stderr); 2 usage (bad flags or files, no key); 3 the hub cannot be reached; 4 the work ran and
 * failed (a benchmark that failed, a rotation whose revoke failed).
 */
export const clientExitCodes = { ok: 0, problem: 1, usage: 2, unreachable: 3, failed: 4 } as const;

export const processClientIo: ClientCliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  env: process.env,
  colour: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  errIsTty: Boolean(process.stderr.isTTY),
};

/** The flags every hub command takes. */
export interface HubFlags {
  url?: string;
  key?: string;
  pairingToken?: string;
  json?: boolean;
}

export const DEFAULT_HUB_URL = "http://127.0.0.1:8402";

/** Adds --url, --key, --pairing-token and --json to a command. */
export function withHubOptions(command: Command): Command {
  return command
    .addOption(new Option("--url <url>", `the hub (AGX_URL, default ${DEFAULT_HUB_URL})`))
    .addOption(new Option("--key <key>", "API key sk_agx_… (AGX_KEY)"))
    .addOption(new Option("--pairing-token <token>", "paired agent token (AGX_PAIRING_TOKEN)"))
    .option("--json", "print the hub's JSON answer instead of a summary");
}

/** A usage error found before any request (bad JSON, a missing key …). */
export class UsageError extends Error {}

/** The work ran and did not succeed (exit 4); the message says what is left to do. */
export class WorkFailed extends Error {}

/** The SDK client for these flags; flags win over the environment. */
export function clientOf(
  flags: HubFlags,
  io: ClientCliIo,
  needsCredentials = true,
  extra: Pick<AgxClientOptions, "payments"> = {},
): AgxClient {
  const url = flags.url ?? io.env.AGX_URL ?? DEFAULT_HUB_URL;
  if (!URL.canParse(url)) throw new UsageError(`--url ${url} is not a URL`);
  const apiKey = flags.key ?? io.env.AGX_KEY;
  const pairingToken = flags.pairingToken ?? io.env.AGX_PAIRING_TOKEN;
  if (needsCredentials && !apiKey && !pairingToken) {
    throw new UsageError("no credentials: pass --key or set AGX_KEY (or a pairing token)");
  }
  return new AgxClient({
    url,
    ...(apiKey ? { apiKey } : {}),
    ...(pairingToken ? { pairingToken } : {}),
    ...extra,
  });
}

/** Parses a JSON flag, naming the flag when it is not JSON. */
export function parseJsonFlag(name: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${name} is not JSON: ${(error as Error).message}`);
  }
}

/** Prints a problem the way the hub states it: title, detail, code, field errors. */
export function printProblem(p: AgxProblem, io: ClientCliIo): void {
  const detail = p.detail ? `: ${p.detail}` : "";
  io.err(`agx: ${p.title}${detail} [${p.code}, HTTP ${p.status}]\n`);
  for (const e of p.errors) io.err(`  ${e.pointer}: ${e.detail}\n`);
  if (p.payment) {
    io.err(`  pay ${p.payment.amount} ${p.payment.token} (nonce ${p.payment.nonce}) via:\n`);
    for (const r of p.payment.rails) io.err(`    ${r.rail}: ${r.how}\n`);
  }
}

/** Runs a command body; problems and unreachable hubs become a line on stderr and an exit code. */
export async function runHubCommand(io: ClientCliIo, work: () => Promise<void>): Promise<void> {
  try {
    await work();
    io.setExitCode(clientExitCodes.ok);
  } catch (error) {
    if (error instanceof AgxProblem) {
      printProblem(error, io);
      io.setExitCode(clientExitCodes.problem);
    } else if (error instanceof AgxNetworkError) {
      io.err(`agx: ${error.message}\n`);
      io.setExitCode(clientExitCodes.unreachable);
    } else if (error instanceof UsageError || error instanceof RangeError) {
      io.err(`agx: ${error.message}\n`);
      io.setExitCode(clientExitCodes.usage);
    } else if (error instanceof WorkFailed) {
      io.err(`agx: ${error.message}\n`);
      io.setExitCode(clientExitCodes.failed);
    } else {
      throw error;
    }
  }
}

/** Pretty JSON with a trailing newline. */
export const jsonText = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** Left-aligned columns for human output; the first row is the header (bold in colour). */
export function table(rows: string[][], io?: Pick<ClientCliIo, "colour">): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  // Padding before colouring: escape codes have no width on screen but do have a length.
  const lines = rows.map((row) =>
    row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  "),
  );
  if (io?.colour && lines[0] !== undefined) lines[0] = `\u001b[1m${lines[0]}\u001b[22m`;
  return lines.join("\n").concat(rows.length ? "\n" : "");
}

/** A listing's `--state` (one of `states`, optional) and `--limit` (1–100, 20 by default). */
export function listingFlags<S extends string>(
  flags: { state?: string; limit?: string },
  states: readonly S[],
): { state: S | undefined; limit: number } {
  const state = flags.state;
  if (state !== undefined && !states.includes(state as S)) {
    throw new UsageError(`--state ${state}: one of ${states.join(", ")}`);
  }
  const limit = flags.limit === undefined ? 20 : Number(flags.limit);
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= 100)) {
    throw new UsageError(`--limit ${flags.limit} is not an integer 1–100`);
  }
  return { state: state as S | undefined, limit };
}

import { readFileSync, writeFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { isProblem } from "../kernel/problem.ts";
import {
  type FetchPeacTxtOptions,
  fetchPeacTxt,
  type PeacTxtResult,
  type PolicyFormat,
  parsePeacTxtBytes,
  peacTxtTemplate,
} from "../policy/index.ts";

/** Where `agx peac` writes and how it ends; tests pass their own. */
export interface PeacCliIo {
  out(text: string): void;
  err(text: string): void;
  /** Records the exit code of a command that ran to its end. */
  setExitCode(code: number): void;
  /** Ends at once with `code`; commander's usage errors and help land here. Never returns. */
  abort(code: number): never;
}

/** `peac validate`: 0 valid, 1 invalid document, 2 usage, read or fetch error. */
export const peacExitCodes = { valid: 0, invalid: 1, usage: 2 } as const;

const processIo: PeacCliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  abort: (code) => process.exit(code),
};

type FormatFlag = "seed" | "policy";
const formatOfFlag: Readonly<Record<FormatFlag, PolicyFormat>> = {
  seed: "seed-0.9.14",
  policy: "peac-policy/0.1",
};
const formatLabel: Readonly<Record<PolicyFormat, string>> = {
  "seed-0.9.14": "PEAC 0.9.14",
  "peac-policy/0.1": "peac-policy/0.1",
};

function errorCode(error: unknown): string {
  if (error instanceof Error && "code" in error) return String(error.code);
  return String(error);
}

function init(flags: { out?: string; format: FormatFlag; force?: boolean }, io: PeacCliIo) {
  const format = formatOfFlag[flags.format];
  const text = peacTxtTemplate(format);
  if (flags.out === undefined) {
    io.out(text);
    io.setExitCode(peacExitCodes.valid);
    return;
  }
  try {
    // "wx" fails if the file exists, with no window between a check and the write.
    writeFileSync(flags.out, text, { encoding: "utf8", flag: flags.force ? "w" : "wx" });
  } catch (error) {
    const code = errorCode(error);
    const hint = code === "EEXIST" ? " (use --force to overwrite)" : "";
    io.err(`agx peac init: cannot write ${flags.out}: ${code}${hint}\n`);
    io.setExitCode(peacExitCodes.usage);
    return;
  }
  io.out(`Wrote a ${formatLabel[format]} peac.txt to ${flags.out}\n`);
  io.setExitCode(peacExitCodes.valid);
}

function report(result: PeacTxtResult, source: string, io: PeacCliIo): void {
  if (!result.ok) {
    const where = result.pointer === undefined ? "" : ` at ${result.pointer}`;
    const codes = `[${result.code} / ${result.upstream_code}]`;
    io.err(`Invalid peac.txt (${source}): ${result.message}${where} ${codes}\n`);
    io.setExitCode(peacExitCodes.invalid);
    return;
  }
  io.out(`Valid ${formatLabel[result.format]} policy (${source})\n`);
  for (const w of result.warnings) io.out(`warning: ${w.message} at ${w.pointer} [${w.code}]\n`);
  io.setExitCode(peacExitCodes.valid);
}

/** Development servers only: `--allow-local` opens http to these hosts, nothing else. */
const LOCAL_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1"]);

function outboundOptions(target: string, allowLocal: boolean): FetchPeacTxtOptions {
  const url = URL.canParse(target) ? new URL(target) : null;
  if (!allowLocal || url === null || !LOCAL_HOSTS.has(url.hostname)) return {};
  return { allowHosts: [url.hostname] };
}

async function validate(
  target: string,
  flags: { allowLocal?: boolean; format?: FormatFlag },
  io: PeacCliIo,
): Promise<void> {
  const formats = flags.format === undefined ? undefined : [formatOfFlag[flags.format]];
  if (!/^https?:\/\//i.test(target)) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(target);
    } catch (error) {
      io.err(`agx peac validate: cannot read ${target}: ${errorCode(error)}\n`);
      io.setExitCode(peacExitCodes.usage);
      return;
    }
    report(parsePeacTxtBytes(bytes, formats === undefined ? {} : { formats }), target, io);
    return;
  }
  const options = outboundOptions(target, flags.allowLocal === true);
  if (formats !== undefined) options.formats = formats;
  try {
    const fetched = await fetchPeacTxt(target, options);
    report(fetched.result, fetched.url, io);
  } catch (error) {
    if (!isProblem(error)) throw error;
    const upstream = error.extensions.upstream_code;
    io.err(`agx peac validate: ${error.detail} [${error.code} / ${String(upstream)}]\n`);
    io.setExitCode(peacExitCodes.usage);
  }
}

/** Adds `peac init` and `peac validate` to the `agx` program. */
export function registerPeacCommands(program: Command, io: PeacCliIo = processIo): Command {
  const peac = program.command("peac").description("peac.txt policies: scaffold and validate");
  // Set before the subcommands are added: commander copies these settings into them.
  peac.configureOutput({ writeOut: io.out, writeErr: io.err });
  peac.exitOverride((error) => io.abort(error.exitCode === 0 ? 0 : peacExitCodes.usage));
  const formatOption = (description: string) =>
    new Option("--format <format>", description).choices(["seed", "policy"]);
  peac
    .command("init")
    .description("write a starting peac.txt")
    .option("--out <file>", "write to FILE instead of stdout")
    .addOption(formatOption("seed (wire 0.9.14) or policy (peac-policy/0.1)").default("seed"))
    .option("--force", "overwrite FILE when it exists")
    .action((flags: { out?: string; format: FormatFlag; force?: boolean }) => init(flags, io));
  peac
    .command("validate")
    .description("validate a peac.txt file or URL; an origin tries /.well-known/peac.txt first")
    .argument("<file|url>", "a local file, a peac.txt URL or a site origin (https://host)")
    .option("--allow-local", "allow http://localhost and http://127.0.0.1 (development)")
    .addOption(formatOption("accept only this format"))
    .action((target: string, flags: { allowLocal?: boolean; format?: FormatFlag }) =>
      validate(target, flags, io),
    );
  return peac;
}

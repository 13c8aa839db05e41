import { Command } from "commander";
import { registerClientCommands } from "../../src/cli/commands.ts";
import type { ClientCliIo } from "../../src/cli/hub-client.ts";

export interface Run {
  out: string;
  err: string;
  code: number;
}

/** Runs `agx <args>` in-process with captured output and the given environment. */
export async function agx(
  args: string[],
  env: Record<string, string> = {},
  tty: { colour?: boolean; errIsTty?: boolean } = {},
): Promise<Run> {
  const run: Run = { out: "", err: "", code: -1 };
  const io: ClientCliIo = {
    out: (t) => {
      run.out += t;
    },
    err: (t) => {
      run.err += t;
    },
    setExitCode: (c) => {
      run.code = c;
    },
    env,
    ...tty,
  };
  const program = new Command("agx").exitOverride().configureOutput({
    writeOut: io.out,
    writeErr: io.err,
  });
  registerClientCommands(program, io);
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    run.code = (error as { exitCode?: number }).exitCode ?? 99;
  }
  return run;
}

/** Splits one shell command line into words (single and double quotes, no expansion). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g))
    words.push(m[1] ?? m[2] ?? m[3] ?? "");
  return words;
}

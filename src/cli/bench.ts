import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import {
  type ClientCliIo,
  jsonText,
  processClientIo,
  runHubCommand,
  UsageError,
  WorkFailed,
} from "./hub-client.ts";
import { bar, startProgress } from "./ui.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SECTION = /^[a-z][a-z0-9_-]{0,39}$/;
/** A section's end line in bench/run.ts's output: `(ledger: 12 s)`. */
const SECTION_DONE = /^\(([a-z][a-z0-9_-]*): (\d+) s\)$/m;

interface BenchFlags {
  scale?: string;
  json?: boolean;
}

/** Runs bench/run.ts in a child (its own process, so figures are not skewed by this one). */
async function bench(sections: string[], flags: BenchFlags, io: ClientCliIo) {
  for (const s of sections) if (!SECTION.test(s)) throw new UsageError(`no section "${s}"`);
  if (flags.scale !== undefined && !(Number(flags.scale) > 0)) {
    throw new UsageError(`--scale ${flags.scale} is not a number > 0`);
  }
  const env: Record<string, string | undefined> = { ...io.env };
  if (sections.length) env.BENCH_ONLY = sections.join(",");
  if (flags.scale !== undefined) env.BENCH_SCALE = flags.scale;
  const label = `bench ${sections.length ? sections.join(",") : "all sections"}`;
  const progress = startProgress(io, label, flags.json);
  const total = sections.length;
  let done = 0;
  let output = "";
  const child = spawn(process.execPath, ["bin/run-ts.js", "bench/run.ts"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
    if (!flags.json) {
      if (io.errIsTty) io.err("\r\u001b[2K");
      io.out(chunk);
    }
    for (const line of chunk.split("\n")) {
      const m = SECTION_DONE.exec(line);
      if (!m) continue;
      done++;
      progress.update(total ? `${bar(done, total)} ${m[1]} took ${m[2]} s` : `${m[1]} done`);
    }
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number>((resolve) => {
    child.on("close", (c) => resolve(c ?? 1));
    child.on("error", () => resolve(127));
  });
  progress.done(code === 0 ? `${done} section(s) done` : undefined);
  if (flags.json) {
    io.out(jsonText({ sections: sections.length ? sections : "all", exit_code: code, output }));
  }
  if (code !== 0) {
    // The thrown error's message is the readable part of a stack trace.
    const why = /^\w*Error: (.+)$/m.exec(stderr)?.[1] ?? `exit code ${code}`;
    throw new WorkFailed(`the benchmark failed: ${why}`);
  }
}

/** `agx bench [sections…]`: runs bench/run.ts (figures beside same-run baselines). */
export function registerBenchCommand(program: Command, io: ClientCliIo = processClientIo): void {
  program
    .command("bench [sections...]")
    .description(
      "run benchmarks (bench/run.ts): ledger, receipts, search, invoke, webhooks, pipelines, " +
        "federation …; all by default",
    )
    .option("--scale <x>", "multiply every size (BENCH_SCALE), e.g. 0.05 for a quick run")
    .option("--json", "print {sections, exit_code, output} instead of streaming the tables")
    .action((sections: string[], flags: BenchFlags) =>
      runHubCommand(io, () => bench(sections, flags, io)),
    );
}

import type { Command } from "commander";
import type { PipelineJob, PipelineRequest } from "../sdk/index.ts";
import { readStructuredFile } from "./catalog.ts";
import {
  type ClientCliIo,
  clientOf,
  type HubFlags,
  jsonText,
  processClientIo,
  runHubCommand,
  UsageError,
  WorkFailed,
  withHubOptions,
} from "./hub-client.ts";
import { bar, startProgress, statusText } from "./ui.ts";

/** How often a running job is looked at, and for how long at most. */
export const PIPELINE_POLL_MS = 250;
export const PIPELINE_WAIT_MS_MAX = 30 * 60_000;

interface Progress {
  nodes: number;
  finished: number;
  failed: number;
}

const progressOf = (job: PipelineJob): Progress =>
  (job.progress as Progress | undefined) ?? { nodes: 0, finished: 0, failed: 0 };

interface PipelineFlags extends HubFlags {
  budget?: string;
  channel?: string;
}

/** Submits asynchronously and follows the job with a progress bar until it ends. */
async function run(path: string, flags: PipelineFlags, io: ClientCliIo) {
  const doc = readStructuredFile(path) as PipelineRequest;
  if (typeof doc !== "object" || doc === null || !Array.isArray(doc.nodes)) {
    throw new UsageError(`${path}: a pipeline needs nodes: [...]`);
  }
  const body: PipelineRequest = {
    ...doc,
    ...(flags.budget ? { budget: flags.budget } : {}),
    ...(flags.channel ? { channel_id: flags.channel } : {}),
  };
  const client = clientOf(flags, io);
  const progress = startProgress(io, `pipeline ${path}`, flags.json);
  let job = (await client.runPipeline(body, { async: true })).body;
  const deadline = Date.now() + PIPELINE_WAIT_MS_MAX;
  while (job.status === "running" || job.status === "pending" || job.status === "queued") {
    const p = progressOf(job);
    progress.update(`${bar(p.finished, p.nodes)}${p.failed ? ` (${p.failed} failed)` : ""}`);
    if (Date.now() > deadline) {
      progress.done();
      throw new WorkFailed(`job ${job.job_id} still running; follow it at ${job.links?.self}`);
    }
    await new Promise((r) => setTimeout(r, PIPELINE_POLL_MS));
    job = await client.job(job.job_id);
  }
  const p = progressOf(job);
  progress.done(`${bar(p.finished, p.nodes)} ${job.status}`);
  if (flags.json) return io.out(jsonText(job));
  io.out(`job      ${job.job_id} (${statusText(io, job.status)})\n`);
  const result = job.result as Record<string, unknown> | null | undefined;
  if (result?.final_result !== undefined) {
    io.out(`result   ${JSON.stringify(result.final_result, null, 2)}\n`);
  }
  const bom = result?.bill_of_materials as { total?: unknown } | undefined;
  if (bom?.total !== undefined) io.out(`total    ${JSON.stringify(bom.total)}\n`);
  if (job.status !== "succeeded") throw new WorkFailed(`the pipeline ended ${job.status}`);
}

/** `agx pipeline <file>`: runs a DAG of paid calls with a progress bar on stderr. */
export function registerPipelineCommand(program: Command, io: ClientCliIo = processClientIo): void {
  withHubOptions(
    program
      .command("pipeline <file>")
      .description("run a pipeline (JSON or YAML: nodes, on_failure, budget) and follow it")
      .option("--budget <amount>", "spend at most this much (overrides the file)")
      .option("--channel <id>", "pay from this channel (ch_…)"),
  ).action((path: string, flags: PipelineFlags) => runHubCommand(io, () => run(path, flags, io)));
}

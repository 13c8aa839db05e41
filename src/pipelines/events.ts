import type { Executor } from "../db/db.ts";
import { pipelineLimits } from "./limits.ts";
import type { PipelineEvent, PipelineJob } from "./model.ts";

/** Where the stream reads from: the job's log and the job itself. */
export interface EventSource {
  events(ex: Executor, job_id: string, after_seq: number, limit: number): Promise<PipelineEvent[]>;
  find(ex: Executor, id: string): Promise<PipelineJob | null>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One Server-Sent Event frame; the data is compact JSON, so it is always one line. */
export function sseFrame(e: { seq: number; type: string; data: unknown }): string {
  return `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/**
 * A job's progress as Server-Sent Events: every logged change after `after_seq` (the client's
 * Last-Event-ID), then new ones as they are written, until `pipeline.completed` (which carries
 * the finished result). Reads the database, so it follows jobs run by any hub process; a stream
 * ends after `events_stream_ms_max` and the client resumes with Last-Event-ID.
 */
export async function* jobEvents(
  ex: Executor,
  source: EventSource,
  job_id: string,
  after_seq: number,
  now_ms: () => number,
): AsyncGenerator<string> {
  const started_ms = now_ms();
  let last_keepalive_ms = started_ms;
  let seq = after_seq;
  yield `retry: ${pipelineLimits.events_poll_interval_ms * 10}\n\n`;
  while (now_ms() - started_ms < pipelineLimits.events_stream_ms_max) {
    // The job first: when it has ended, the events read next include its last one.
    const job = await source.find(ex, job_id);
    const events = await source.events(ex, job_id, seq, pipelineLimits.events_page_max);
    for (const e of events) {
      seq = e.seq;
      if (e.type !== "pipeline.completed") {
        yield sseFrame(e);
        continue;
      }
      // Written with the job's end, so the job read now has the finished result.
      const ended = await source.find(ex, job_id);
      yield sseFrame({ ...e, data: { ...e.data, result: ended?.result ?? null } });
      return;
    }
    if (events.length > 0) continue;
    if (job?.status !== "running") return;
    if (now_ms() - last_keepalive_ms >= pipelineLimits.events_keepalive_interval_ms) {
      last_keepalive_ms = now_ms();
      yield ": keep-alive\n\n";
    }
    await sleep(pipelineLimits.events_poll_interval_ms);
  }
}

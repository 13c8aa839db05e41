import { timingSafeEqual } from "node:crypto";
import type { Executor } from "../db/db.ts";
import { randomToken } from "../kernel/ids.ts";
import { sha256Hex } from "../kernel/json.ts";
import { pipelineLimits } from "./limits.ts";
import type { PipelineJob } from "./model.ts";
import * as store from "./store.ts";

/**
 * Job access tokens: the capability a key-less x402 payer gets to follow the job it paid for.
 * Random (256 bits), shown once (in the 202 that names the job), kept only as a sha256 hash,
 * bound to one job and expiring a day after the job's deadline. It grants reading that job
 * (`GET /ai-market/jobs/{id}` and its events) and nothing else: it is no API key.
 */

/** Tells a job token from an API key at a glance (and in secret scanners). */
export const JOB_TOKEN_PREFIX = "jt_agx_";
/** The header a job token is presented in. */
export const JOB_TOKEN_HEADER = "x-agx-job-token";

/** Issues the job's token in the caller's transaction; returns it (the only time it is seen). */
export async function issueJobToken(
  tx: Executor,
  job: Pick<PipelineJob, "id" | "deadline_at_ms">,
  now_ms: number,
): Promise<string> {
  const token = `${JOB_TOKEN_PREFIX}${randomToken(pipelineLimits.job_token_bytes)}`;
  await store.insertJobToken(tx, {
    job_id: job.id,
    token_sha256: sha256Hex(token),
    expires_at_ms: job.deadline_at_ms + pipelineLimits.job_token_ttl_after_deadline_ms,
    created_at_ms: now_ms,
  });
  return token;
}

/**
 * The owner of job `job_id` when `token` is its live access token, else null (unknown job, no
 * token, a wrong one, or expired: the caller cannot tell which).
 */
export async function ownerByJobToken(
  ex: Executor,
  job_id: string,
  token: string,
  now_ms: number,
): Promise<string | null> {
  if (!token.startsWith(JOB_TOKEN_PREFIX) || token.length > 200) return null;
  const kept = await store.jobTokenOf(ex, job_id);
  if (!kept || kept.expires_at_ms <= now_ms) return null;
  const want = Buffer.from(kept.token_sha256, "hex");
  const got = Buffer.from(sha256Hex(token), "hex");
  if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
  return (await store.getJob(ex, job_id))?.owner_id ?? null;
}

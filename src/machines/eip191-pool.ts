/**
 * EIP-191 signer recovery off the event loop. A recovery costs milliseconds of CPU (viem: ~2 ms
 * here), long enough that a burst of pairing proofs stalls every other request. Under light load
 * the work runs inline (no thread to start, nothing to wait for); once more than
 * `inline_per_second_max` proofs arrive within a second, a few worker threads start and take it
 * over, behind a bounded queue that answers RATE_LIMITED when full rather than growing.
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { assert } from "../kernel/assert.ts";
import { limits } from "../kernel/limits.ts";
import { Problem } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { createKeyCache, type SignerJob, signerOf } from "./eip191-core.ts";

export interface Eip191PoolOptions {
  /** Worker threads once started; 0 keeps everything inline. */
  workers: number;
  /** Jobs waiting on workers at most; one more is refused with RATE_LIMITED. */
  queue_max: number;
  /** Public keys each thread (and the inline path) keeps. */
  key_cache_max: number;
  /** Proofs per second below which nothing is started and work runs inline. */
  inline_per_second_max: number;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  jobs: Map<number, { job: SignerJob; resolve: (signer: string | null) => void }>;
}

// The worker is TypeScript: it loads through tsx like the rest of agx (docs/decisions/0001),
// found from here rather than from the working directory (an eval worker resolves from there).
const BOOT = `
const { workerData } = require("node:worker_threads");
import(workerData.tsx)
  .then((tsx) => { tsx.register(); return import(workerData.entry); })
  .catch((e) => { console.error(e); process.exit(1); });
`;
const ENTRY = new URL("./eip191-worker.ts", import.meta.url).href;
const TSX_API = pathToFileURL(
  createRequire(import.meta.url)
    .resolve("tsx/esm/api")
    .replace(/\.cjs$/, ".mjs"),
).href;

/** The pool's thread count on this host: none on a single CPU, else up to the limit. */
export function eip191WorkersHere(): number {
  const cpus = availableParallelism();
  return cpus < 2 ? 0 : Math.min(cpus, limits.eip191_workers_max);
}

function hashOf(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h >>> 0;
}

/** A pool of EIP-191 recovery threads with an inline fallback. */
export function createEip191Pool(options: Eip191PoolOptions) {
  assert(options.workers >= 0 && options.queue_max > 0, "eip191 pool options");
  const inlineCache = createKeyCache(options.key_cache_max);
  const slots: Slot[] = [];
  let queued = 0;
  let nextId = 1;
  let started = false;
  let closed = false;
  let windowStartMs = 0;
  let windowCount = 0;

  function start(): void {
    started = true;
    for (let i = 0; i < options.workers; i++) slots.push(spawn());
  }

  function spawn(): Slot {
    const worker = new Worker(BOOT, {
      eval: true,
      workerData: { entry: ENTRY, tsx: TSX_API, key_cache_max: options.key_cache_max },
    });
    const slot: Slot = { worker, ready: false, jobs: new Map() };
    worker.unref();
    worker.on("message", (m: { ready?: true; id?: number; signer?: string | null }) => {
      if (m.ready) {
        slot.ready = true;
        return;
      }
      const pending = slot.jobs.get(m.id as number);
      if (!pending) return;
      slot.jobs.delete(m.id as number);
      settle(slot, pending.resolve, m.signer ?? null);
    });
    // A thread that dies hands its jobs back to the inline path; nobody waits forever.
    const fail = () => {
      slot.ready = false;
      const left = [...slot.jobs.values()];
      slot.jobs.clear();
      for (const p of left) settle(slot, p.resolve, signerOf(p.job, inlineCache));
    };
    worker.on("error", fail);
    worker.on("exit", fail);
    return slot;
  }

  function settle(slot: Slot, resolve: (s: string | null) => void, signer: string | null) {
    queued--;
    // Referenced only while it owes an answer: an idle pool never keeps a process alive.
    if (slot.jobs.size === 0) slot.worker.unref();
    resolve(signer);
  }

  function busy(nowMs: number): boolean {
    if (nowMs - windowStartMs >= 1000) {
      windowStartMs = nowMs;
      windowCount = 0;
    }
    windowCount++;
    return windowCount > options.inline_per_second_max;
  }

  function pick(job: SignerJob): Slot | null {
    const ready = slots.filter((s) => s.ready);
    if (ready.length === 0) return null;
    // The same likely signer goes to the same thread, where its key is cached.
    const first = job.likely[0];
    if (first !== undefined) return ready[hashOf(first) % ready.length] as Slot;
    return ready.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
  }

  /** The lower-case signer of `job`, or null; RATE_LIMITED when the queue is full. */
  function signer(job: SignerJob): Promise<string | null> {
    if (!started && !closed && options.workers > 0 && busy(Date.now())) start();
    const slot = pick(job);
    if (!slot) return Promise.resolve(signerOf(job, inlineCache));
    if (queued >= options.queue_max) {
      throw new Problem(
        kernelProblems.RATE_LIMITED,
        "signature checks are queued to capacity; retry in a moment",
      );
    }
    const id = nextId++;
    queued++;
    return new Promise((resolve) => {
      slot.jobs.set(id, { job, resolve });
      slot.worker.ref();
      slot.worker.postMessage({ id, job });
    });
  }

  /** Starts the threads now and waits until each is ready (benchmarks, warm-up). */
  async function warm(timeout_ms: number): Promise<number> {
    if (!started && options.workers > 0) start();
    const deadline = Date.now() + timeout_ms;
    while (slots.some((s) => !s.ready) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return slots.filter((s) => s.ready).length;
  }

  /** Stops the threads; their queued jobs finish inline. */
  async function close(): Promise<void> {
    closed = true;
    const all = slots.splice(0);
    await Promise.all(all.map((s) => s.worker.terminate()));
  }

  return { signer, warm, close, threads: () => slots.filter((s) => s.ready).length };
}

export type Eip191Pool = ReturnType<typeof createEip191Pool>;

let shared: Eip191Pool | null = null;

/** The process-wide pool every EIP-191 proof goes through. */
export function sharedEip191Pool(): Eip191Pool {
  shared ??= createEip191Pool({
    workers: eip191WorkersHere(),
    queue_max: limits.eip191_queue_max,
    key_cache_max: limits.eip191_key_cache_max,
    inline_per_second_max: limits.eip191_inline_per_second_max,
  });
  return shared;
}

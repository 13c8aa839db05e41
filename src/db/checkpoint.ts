import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { limits } from "../kernel/limits.ts";

// Plain JavaScript evaluated in the worker (no TypeScript loader there). One connection per
// registered database; a PASSIVE checkpoint never waits for and never blocks the writer. A
// failure (the writer's own checkpoint running, a file gone) only skips a round: the writer's
// automatic checkpoint bounds the WAL whatever happens here.
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const open = new Map();
setInterval(() => {
  for (const db of open.values()) {
    try { db.pragma("wal_checkpoint(PASSIVE)"); } catch {}
  }
}, workerData.interval_ms);
parentPort.on("message", (m) => {
  if (m.op === "add") {
    try {
      const db = new Database(m.file, { fileMustExist: true });
      db.pragma("synchronous = NORMAL");
      open.set(m.id, db);
    } catch {}
  } else {
    open.get(m.id)?.close();
    open.delete(m.id);
    parentPort.postMessage({ released: m.id });
  }
});
`;

let worker: Worker | null = null;
let nextId = 1;
const releases = new Map<number, () => void>();

function checkpointer(): Worker {
  if (worker) return worker;
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const w = new Worker(WORKER, {
    eval: true,
    workerData: { driver, interval_ms: limits.sqlite_checkpoint_interval_ms },
  });
  w.on("message", (m: { released: number }) => {
    releases.get(m.released)?.();
    releases.delete(m.released);
    if (releases.size === 0) w.unref();
  });
  // Serving never depends on it: the writer's automatic checkpoint takes over when it is gone.
  w.on("error", () => {});
  w.on("exit", () => {
    if (worker === w) worker = null;
    for (const release of releases.values()) release();
    releases.clear();
  });
  w.unref();
  worker = w;
  return w;
}

/**
 * Checkpoints the WAL of the SQLite database at `file` from a worker thread, so the serving
 * thread never stalls on the copy and its fsyncs. Returns the release, which waits until the
 * worker's connection is closed (the serving connection then closes last and removes the WAL).
 */
export function checkpointInBackground(file: string): () => Promise<void> {
  const id = nextId++;
  const w = checkpointer();
  w.postMessage({ op: "add", id, file });
  return () =>
    new Promise<void>((resolve) => {
      if (worker !== w) return resolve();
      releases.set(id, resolve);
      // Held while a close waits on it, so the process does not exit under the awaiting caller.
      w.ref();
      w.postMessage({ op: "remove", id });
    });
}

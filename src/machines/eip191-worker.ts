/**
 * The body of an EIP-191 verifier thread: answers `{id, job}` messages with `{id, signer}`, each
 * worker keeping its own key cache (the pool routes a likely signer to the same worker).
 */
import { parentPort, workerData } from "node:worker_threads";
import { createKeyCache, type SignerJob, signerOf } from "./eip191-core.ts";

const port = parentPort;
if (!port) throw new Error("eip191-worker.ts runs only as a worker thread");
const cache = createKeyCache((workerData as { key_cache_max: number }).key_cache_max);
port.on("message", (m: { id: number; job: SignerJob }) => {
  let signer: string | null = null;
  try {
    signer = signerOf(m.job, cache);
  } catch {
    signer = null;
  }
  port.postMessage({ id: m.id, signer });
});
port.postMessage({ ready: true });

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const ANVIL_CHAIN_ID = 31337;

export interface Anvil {
  rpc_url: string;
  stop(): Promise<void>;
}

const binary = fileURLToPath(new URL("../../node_modules/.bin/anvil", import.meta.url));
const READY_ATTEMPTS_MAX = 100;
const READY_POLL_MS = 100;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function answers(rpc_url: string): Promise<boolean> {
  try {
    const res = await fetch(rpc_url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Starts a real local EVM (anvil) on a free port, or returns null (and says why on stderr) when
 * the binary cannot start here, so the suite can skip visibly instead of failing.
 */
export async function startAnvil(): Promise<Anvil | null> {
  if (!existsSync(binary)) {
    process.stderr.write(`\n⚠ anvil not found at ${binary}: on-chain suites are SKIPPED.\n\n`);
    return null;
  }
  const port = await freePort();
  const rpc_url = `http://127.0.0.1:${port}`;
  let exited = false;
  const child: ChildProcess = spawn(
    binary,
    ["--port", String(port), "--host", "127.0.0.1", "--chain-id", String(ANVIL_CHAIN_ID), "-q"],
    { stdio: "ignore" },
  );
  child.on("exit", () => {
    exited = true;
  });
  child.on("error", () => {
    exited = true;
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (exited) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  // Waiting for a child process to listen is not a timing assertion: it only bounds start-up.
  for (let i = 0; i < READY_ATTEMPTS_MAX && !exited; i++) {
    if (await answers(rpc_url)) return { rpc_url, stop };
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
  await stop();
  process.stderr.write(`\n⚠ anvil did not start on ${rpc_url}: on-chain suites are SKIPPED.\n\n`);
  return null;
}

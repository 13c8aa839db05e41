/**
 * Proofs: EIP-191 identity and pairing proof checks per second through agx's verifier
 * (`recoverPersonalSigner`: inline at low rates, worker threads with per-signer cached keys under
 * load) beside viem in the same run: `verifyMessage` for a known controller's identity proofs,
 * `recoverMessageAddress` for pairing proofs by agents never seen before. Each phase also records
 * the event-loop delay (p99, max) while the checks run, as a server would feel it: every client
 * yields to the loop (setImmediate) between checks, as a request handler would between requests.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { type Hex, recoverMessageAddress, verifyMessage } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { recoverPersonalSigner } from "../src/machines/eip191.ts";
import { sharedEip191Pool } from "../src/machines/eip191-pool.ts";
import { pad, ratioText } from "./support.ts";

interface Proof {
  message: string;
  signature: Hex;
  address: Hex;
}

export interface ProofsRow {
  case: string;
  clients: number;
  agx_per_s: number;
  viem_per_s: number;
  agx_loop_p99_ms: number;
  viem_loop_p99_ms: number;
  agx_loop_max_ms: number;
  viem_loop_max_ms: number;
}

export interface ProofsResult {
  rows: ProofsRow[];
  /** Recovery threads ready when the phases ran (0: everything inline). */
  threads: number;
  proofs_per_phase: number;
}

type Check = (p: Proof) => Promise<boolean>;

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

function message(i: number, who: string): string {
  return [
    "hub.example asks you to prove control of a machine identity.",
    "",
    `Identity: did:pkh:eip155:1:${who}`,
    "Principal: prn_bench",
    `Challenge: mch_${i}`,
    `Nonce: ${Math.random().toString(36).slice(2)}`,
  ].join("\n");
}

async function proofsBy(n: number, fresh: boolean): Promise<Proof[]> {
  const one = privateKeyToAccount(generatePrivateKey());
  const out: Proof[] = [];
  for (let i = 0; i < n; i++) {
    const a = fresh ? privateKeyToAccount(generatePrivateKey()) : one;
    const m = message(i, a.address);
    out.push({ message: m, signature: await a.signMessage({ message: m }), address: a.address });
  }
  return out;
}

/** Checks every proof with `clients` concurrent loops; rate and loop delay while it ran. */
async function phase(proofs: Proof[], clients: number, check: Check) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  let next = 0;
  let bad = 0;
  h.enable();
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < proofs.length) {
        const p = proofs[next++] as Proof;
        if (!(await check(p))) bad++;
        await yieldToLoop();
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  h.disable();
  if (bad > 0) throw new Error(`${bad} proofs did not verify`);
  return { per_s: proofs.length / seconds, p99_ms: h.percentile(99) / 1e6, max_ms: h.max / 1e6 };
}

const agxCheck: Check = async (p) =>
  (await recoverPersonalSigner(p.message, p.signature, [p.address])) === p.address;
const viemKnown: Check = (p) =>
  verifyMessage({ address: p.address, message: p.message, signature: p.signature });
const viemRecover: Check = async (p) =>
  (await recoverMessageAddress({ message: p.message, signature: p.signature })) === p.address;

/** Proof checks per second and event-loop delay, agx vs viem, sequential and 64 clients. */
export async function benchProofs(scale: number): Promise<ProofsResult> {
  const n = Math.max(200, Math.round(3_000 * scale));
  const pool = sharedEip191Pool();
  const threads = await pool.warm(60_000);
  const known = await proofsBy(n, false);
  const rows: ProofsRow[] = [];
  const cases: [string, boolean, Check][] = [
    ["identity, known controller", false, viemKnown],
    ["pairing, agent never seen", true, viemRecover],
  ];
  for (const clients of [1, 64]) {
    for (const [name, fresh, viem] of cases) {
      // Fresh agents get fresh proofs per phase, so no cache has seen them.
      const proofs = fresh ? await proofsBy(n, true) : known;
      await phase(proofs.slice(0, Math.min(100, n)), clients, agxCheck);
      const v = await phase(proofs, clients, viem);
      const a = await phase(fresh ? await proofsBy(n, true) : known, clients, agxCheck);
      rows.push({
        case: name,
        clients,
        agx_per_s: a.per_s,
        viem_per_s: v.per_s,
        agx_loop_p99_ms: a.p99_ms,
        viem_loop_p99_ms: v.p99_ms,
        agx_loop_max_ms: a.max_ms,
        viem_loop_max_ms: v.max_ms,
      });
    }
  }
  return { rows, threads, proofs_per_phase: n };
}

/** The table of benchProofs' rows. */
export function proofsTable(r: ProofsResult): string {
  const lines = [
    `\nproofs: EIP-191 proof checks, agx vs viem (same proofs, same run; ${r.threads} ` +
      `recovery threads, ${r.proofs_per_phase} proofs per phase)\n`,
    `${"case".padEnd(28)}${pad("clients", 8)}${pad("agx/s", 9)}${pad("viem/s", 9)}` +
      `${pad("ratio", 7)}${pad("loop p99 agx", 14)}${pad("viem", 9)}${pad("max agx", 10)}` +
      `${pad("viem", 9)}`,
  ];
  const ms = (x: number) => `${x.toFixed(1)}`;
  for (const row of r.rows) {
    lines.push(
      `${row.case.padEnd(28)}${pad(String(row.clients), 8)}` +
        `${pad(Math.round(row.agx_per_s).toString(), 9)}` +
        `${pad(Math.round(row.viem_per_s).toString(), 9)}` +
        `${pad(ratioText(row.agx_per_s, row.viem_per_s), 7)}` +
        `${pad(ms(row.agx_loop_p99_ms), 14)}${pad(ms(row.viem_loop_p99_ms), 9)}` +
        `${pad(ms(row.agx_loop_max_ms), 10)}${pad(ms(row.viem_loop_max_ms), 9)}`,
    );
  }
  lines.push(
    "\nratio = agx checks per second / viem's; loop = event-loop delay in ms while checking " +
      "(each client yields between checks, as a server does between requests)\n",
  );
  return lines.join("\n");
}

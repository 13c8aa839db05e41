/**
 * Each section's headline figures for the report (bench/report.ts), read from the rows the
 * section returned. The targets are the issues' own: #2 ledger (none), #3 search, #4 receipts,
 * #5 invoke, #8 webhooks, #9 pipelines and federation (none), #12 resources (none).
 */
import type { FederationResult } from "./federation.ts";
import type { InvokeRow } from "./invoke.ts";
import type { LedgerRow } from "./ledger.ts";
import type { PipelinesRow } from "./pipelines.ts";
import type { ProofsResult } from "./proofs.ts";
import type { ReceiptRow } from "./receipts.ts";
import type { Figure } from "./report.ts";
import type { ResourcesRow } from "./resources.ts";
import type { SearchResult } from "./search.ts";
import { percentile } from "./support.ts";
import type { WebhooksRow } from "./webhooks.ts";
import type { X402Result } from "./x402.ts";

export function ledgerFigures(rows: LedgerRow[]): Figure[] {
  return rows.map((r) => ({
    section: "ledger",
    name: `${r.case} (${r.database})`,
    unit: "transfers/s",
    agx: r.ops_per_s,
    baseline: r.baseline_ops_per_s,
    baseline_label: "bare insert loop",
    targets: [],
  }));
}

export function receiptsFigures(rows: ReceiptRow[]): Figure[] {
  return rows.map((r) => ({
    section: "receipts",
    name: r.case,
    unit: "/s",
    agx: r.agx,
    baseline: r.peer,
    baseline_label: "@peac/crypto",
    targets: r.case.startsWith("verify")
      ? [{ on: "ratio", op: ">=", n: 1 }]
      : r.case.startsWith("issue")
        ? [{ on: "value", op: ">=", n: 10_000 }]
        : [],
  }));
}

export function searchFigures(r: SearchResult): Figure[] {
  const out: Figure[] = [];
  for (const row of r.rows) {
    // The row's target reads "p50 / p99" in ms where the issue sets one ("-" elsewhere).
    const [t50, t99] = row.target.split("/").map((t) => Number(t.trim()));
    for (const [q, agx, base, t] of [
      ["p50", row.p50_ms, row.raw_p50_ms, t50],
      ["p99", row.p99_ms, row.raw_p99_ms, t99],
    ] as const) {
      out.push({
        section: "search",
        name: `${row.case} ${q} (${row.database})`,
        unit: "ms",
        agx,
        baseline: base,
        baseline_label: row.case.includes("publish") ? "publishService in-process" : "raw query",
        targets: t !== undefined && Number.isFinite(t) ? [{ on: "value", op: "<=", n: t }] : [],
      });
    }
  }
  return out;
}

const INVOKE_RATIO_TARGET = { sqlite: 0.5, postgres: 0.35 } as const;

export function invokeFigures(rows: InvokeRow[]): Figure[] {
  const out: Figure[] = [];
  for (const r of rows) {
    if (r.rail === "baseline") continue;
    const base = rows.find((b) => b.database === r.database && b.rail === "baseline");
    for (const phase of ["sequential", "concurrent"] as const) {
      out.push({
        section: "invoke",
        name: `${r.rail} ${phase === "concurrent" ? "50 connections" : "sequential"} (${r.database})`,
        unit: "req/s",
        agx: r[phase].rps,
        baseline: base ? base[phase].rps : null,
        baseline_label: "bare Fastify + JWS",
        targets: [{ on: "ratio", op: ">=", n: INVOKE_RATIO_TARGET[r.database] }],
      });
    }
    out.push({
      section: "invoke",
      name: `${r.rail} p99 at 50 connections (${r.database})`,
      unit: "ms",
      agx: r.concurrent.p99_ms,
      baseline: base ? base.concurrent.p99_ms : null,
      baseline_label: "bare Fastify + JWS",
      targets: [{ on: "value", op: "<=", n: 20 }],
    });
  }
  return out;
}

export function webhooksFigures(rows: WebhooksRow[]): Figure[] {
  return rows.map((r) => ({
    section: "webhooks",
    name: `deliveries (${r.database})`,
    unit: "/s",
    agx: r.hub.per_s,
    baseline: r.keep_alive.per_s,
    baseline_label: "raw POST loop, keep-alive",
    targets: [
      { on: "value", op: ">=", n: 2000 },
      { on: "ratio", op: ">=", n: 0.5 },
    ],
  }));
}

export function pipelinesFigures(rows: PipelinesRow[]): Figure[] {
  const out: Figure[] = [];
  for (const r of rows) {
    if (r.mode === "direct") continue;
    const direct = rows.find(
      (d) => d.database === r.database && d.nodes === r.nodes && d.mode === "direct",
    );
    out.push({
      section: "pipelines",
      name: `${r.nodes} nodes ${r.mode}, p50 per node (${r.database})`,
      unit: "ms",
      agx: percentile(r.per_node_ms, 0.5),
      baseline: direct ? percentile(direct.per_node_ms, 0.5) : null,
      baseline_label: "direct invokes",
      targets: [],
    });
  }
  return out;
}

export function federationFigures(result: FederationResult): Figure[] {
  const local = result.rows.find((r) => r.mode === "local");
  const out: Figure[] = [];
  for (const r of result.rows) {
    if (r.mode === "local") continue;
    for (const q of [0.5, 0.99]) {
      out.push({
        section: "federation",
        name: `search ${r.mode} p${q * 100}`,
        unit: "ms",
        agx: percentile(r.ms, q),
        baseline: local ? percentile(local.ms, q) : null,
        baseline_label: "local-only search",
        targets: [],
      });
    }
  }
  return out;
}

export function resourcesFigures(rows: ResourcesRow[]): Figure[] {
  const bare = rows.find((r) => r.process === "bare-fastify");
  const out: Figure[] = [];
  for (const r of rows) {
    if (r.process !== "agx") continue;
    const common = { section: "resources", baseline_label: "bare Fastify", targets: [] };
    out.push(
      {
        ...common,
        name: `start-up to ready (${r.database})`,
        unit: "ms",
        agx: r.ready_ms,
        baseline: bare?.ready_ms ?? null,
      },
      {
        ...common,
        name: `idle RSS (${r.database})`,
        unit: "MiB",
        agx: r.idle_rss_mib,
        baseline: bare?.idle_rss_mib ?? null,
      },
      {
        ...common,
        name: `peak RSS under paid invokes (${r.database})`,
        unit: "MiB",
        agx: r.load_rss_mib,
        baseline: null,
      },
    );
  }
  return out;
}

export function proofsFigures(r: ProofsResult): Figure[] {
  return r.rows.map((row) => ({
    section: "proofs",
    name: `${row.case}, ${row.clients} client${row.clients === 1 ? "" : "s"}`,
    unit: "/s",
    agx: row.agx_per_s,
    baseline: row.viem_per_s,
    baseline_label: "viem",
    targets: [{ on: "ratio", op: ">=", n: 1 }],
  }));
}

export function x402Figures(r: X402Result): Figure[] {
  const out: Figure[] = [];
  for (const row of r.rows) {
    const name = `${row.case}, ${row.clients} client${row.clients === 1 ? "" : "s"}`;
    const common = { section: "x402", baseline_label: "@x402/core reference server" };
    out.push(
      {
        ...common,
        name: `${name}: paid calls`,
        unit: "/s",
        agx: row.agx.calls_per_s,
        baseline: row.reference.calls_per_s,
        targets: [{ on: "ratio", op: ">=", n: 1.5 }],
      },
      {
        ...common,
        name: `${name}: p50`,
        unit: "ms",
        agx: row.agx.p50_ms,
        baseline: row.reference.p50_ms,
        targets: [{ on: "ratio", op: "<=", n: 0.7 }],
      },
    );
  }
  out.push({
    section: "x402",
    name: "EIP-3009 signature verify",
    unit: "/s",
    agx: r.signatures.agx_per_s,
    baseline: r.signatures.viem_per_s,
    baseline_label: "viem verifyTypedData",
    targets: [{ on: "ratio", op: ">=", n: 3 }],
  });
  return out;
}

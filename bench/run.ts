/**
 * Benchmarks. Every figure is printed beside a baseline measured in the same run (same machine,
 * same database, same moment) and as a ratio to it. Figures, not assertions: the only failure is
 * a ledger that does not verify afterwards. Sections, each printing one table:
 *
 *   ledger    ledger transfers/s (single, 100 per tx, 16 concurrent clients on PostgreSQL) vs a
 *             bare insert loop with the same transaction shape (bench/ledger.ts)
 *   receipts  receipt issue/s and verify/s vs @peac/crypto, same key and payload
 *             (bench/receipts.ts)
 *   search    POST /api/v1/market/search over HTTP on a hub holding generated services, p50/p99
 *             vs the catalogue store's raw full-text query; publish over HTTP vs publishService
 *             in-process (bench/search.ts)
 *   invoke    paid invoke over HTTP on the prepaid and channel rails, sequential and 50
 *             connections, vs a bare Fastify app signing one Ed25519 JWS (bench/invoke.ts)
 *   webhooks  webhook deliveries/s through the outbox worker to a local receiver vs a raw POST
 *             loop of the same bodies, receiver and concurrency (bench/webhooks.ts)
 *   pipelines POST /ai-market/pipelines of 4 and 8 builtin nodes, independent and chained, ms per
 *             node vs the same calls invoked directly one after another (bench/pipelines.ts)
 *   federation GET /ai-market/v2/search p50/p99 on hub A federated with hubs B and C (3 hubs on
 *             127.0.0.1, SQLite only) vs A's local-only search (bench/federation.ts)
 *   mcp       MCP tools/call round trips/s through /mcp vs a bare SDK server with one trivial
 *             tool (bench/mcp.ts)
 *   proofs    EIP-191 identity and pairing proof checks/s and event-loop delay vs viem
 *             (bench/proofs.ts)
 *   x402      x402-paid invoke on anvil vs a reference @x402/core server + local facilitator,
 *             and EIP-3009 signature checks/s vs viem (bench/x402.ts)
 *   resources start-up to ready, idle RSS and peak RSS under paid invokes of a real `agx serve`
 *             process on each database vs a bare Fastify process (bench/resources.ts)
 *
 * At the end the run writes bench/results/latest.md (figure, agx, baseline, ratio, target, met)
 * and a chart of achieved / target per figure, latest.svg and latest.png (bench/report.ts).
 *
 * SQLite is a throw-away file; PostgreSQL comes from BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test), each section in a fresh schema dropped afterwards;
 * without it the PostgreSQL rows are skipped with a printed line.
 *
 *   npm run bench                          # everything, default sizes (a few minutes)
 *   BENCH_SCALE=0.05 npm run bench         # every size × 0.05: quick
 *   BENCH_ONLY=search,webhooks npm run bench  # some sections
 *   BENCH_RESULTS_DIR=/tmp/r npm run bench     # the report elsewhere than bench/results/
 *   BENCH_DATABASES=postgres npm run bench     # sections that run on both databases, on one
 *
 * BENCH_SCALE multiplies every section's full size. Unset, every section runs at its full size,
 * search included: 100k services, bulk-loaded (importServices) in well under two minutes on both
 * databases of a 2-CPU box.
 * A default run took 4½ minutes on a shared 2-CPU box (load average 6 from other work), before
 * pipelines and federation, which add about 1½ minutes (at load average 5).
 */
import { availableParallelism, loadavg } from "node:os";
import { benchFederation, federationTable } from "./federation.ts";
import {
  federationFigures,
  invokeFigures,
  ledgerFigures,
  pipelinesFigures,
  proofsFigures,
  receiptsFigures,
  resourcesFigures,
  searchFigures,
  webhooksFigures,
  x402Figures,
} from "./figures.ts";
import { benchInvoke, invokeTable } from "./invoke.ts";
import { benchLedger, ledgerTable } from "./ledger.ts";
import { benchMcp, mcpTable } from "./mcp.ts";
import { benchPipelines, pipelinesTable } from "./pipelines.ts";
import { benchProofs, proofsTable } from "./proofs.ts";
import { benchReceipts, receiptsTable } from "./receipts.ts";
import { type Figure, writeReport } from "./report.ts";
import { benchResources, resourcesTable } from "./resources.ts";
import { benchSearch, searchTable, servicesAt } from "./search.ts";
import { benchWebhooks, webhooksTable } from "./webhooks.ts";
import { benchX402, x402Table } from "./x402.ts";

/** The search section's scale when BENCH_SCALE is unset: 100k services. */
const SEARCH_SCALE_DEFAULT = 1;

const scaleText = process.env.BENCH_SCALE;
const scale = Number(scaleText ?? "1");
if (!(Number.isFinite(scale) && scale > 0)) throw new Error(`BENCH_SCALE=${scaleText}: not > 0`);
const searchScale = scaleText === undefined ? SEARCH_SCALE_DEFAULT : scale;

type Section = () => Promise<{ table: string; figures: Figure[] }>;

/** Runs a section's bench, then renders its own table and its figures for the report. */
function section<R>(
  bench: () => Promise<R>,
  table: (r: R) => string,
  figures: (r: R) => Figure[],
): Section {
  return async () => {
    const r = await bench();
    return { table: table(r), figures: figures(r) };
  };
}

const sections: Record<string, Section> = {
  ledger: section(() => benchLedger(scale), ledgerTable, ledgerFigures),
  receipts: section(() => benchReceipts(scale), receiptsTable, receiptsFigures),
  search: section(() => benchSearch(searchScale), searchTable, searchFigures),
  invoke: section(() => benchInvoke(scale), invokeTable, invokeFigures),
  webhooks: section(() => benchWebhooks(scale), webhooksTable, webhooksFigures),
  pipelines: section(() => benchPipelines(scale), pipelinesTable, pipelinesFigures),
  federation: section(() => benchFederation(scale), federationTable, federationFigures),
  mcp: section(
    () => benchMcp(scale),
    mcpTable,
    () => [],
  ),
  proofs: section(() => benchProofs(scale), proofsTable, proofsFigures),
  x402: section(() => benchX402(scale), x402Table, x402Figures),
  resources: section(() => benchResources(scale), resourcesTable, resourcesFigures),
};

const only = (process.env.BENCH_ONLY ?? "all").split(",").map((s) => s.trim());
const chosen = only.includes("all") ? Object.keys(sections) : only;
for (const name of chosen) {
  if (!sections[name])
    throw new Error(`BENCH_ONLY: no section ${name} (${Object.keys(sections).join(", ")})`);
}

process.stdout.write(
  `agx bench: ${chosen.join(", ")}; BENCH_SCALE=${scaleText ?? "unset"}` +
    `${chosen.includes("search") ? `; search on ${servicesAt(searchScale)} services` : ""}\n` +
    `node ${process.version}, ${availableParallelism()} CPUs, load average at start ` +
    `${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")} (other work on the box moves every figure; ratios move less)\n`,
);

const startedAt = new Date();
const started = process.hrtime.bigint();
const figures: Figure[] = [];
for (const name of chosen) {
  const t0 = process.hrtime.bigint();
  const r = await (sections[name] as Section)();
  figures.push(...r.figures);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(`${r.table}\n(${name}: ${seconds.toFixed(0)} s)\n`);
}
const allSeconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(`\nall sections: ${allSeconds.toFixed(0)} s\n`);
// BENCH_RESULTS_DIR moves the report (tests write theirs to a temp folder, not the committed one).
const resultsDir = process.env.BENCH_RESULTS_DIR;
process.stdout.write(
  `${await (resultsDir
    ? writeReport(figures, startedAt, allSeconds, resultsDir)
    : writeReport(figures, startedAt, allSeconds))}\n`,
);

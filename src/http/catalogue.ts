import { catalogProblems } from "../catalog/index.ts";
import { channelProblems } from "../channels/index.ts";
import { delegationProblems } from "../delegation/index.ts";
import { dpopProblems } from "../dpop/index.ts";
import { federationProblems } from "../federation/index.ts";
import { identityProblems } from "../identity/index.ts";
import type { ProblemSpec } from "../kernel/problem.ts";
import { kernelProblems } from "../kernel/problems.ts";
import { ledgerProblems } from "../ledger/index.ts";
import { machineProblems } from "../machines/index.ts";
import { marketProblems } from "../market/index.ts";
import { netProblems } from "../net/index.ts";
import { orderProblems } from "../orders/index.ts";
import { pipelineProblems } from "../pipelines/index.ts";
import { policyProblems } from "../policy/index.ts";
import { receiptProblems } from "../receipts/index.ts";
import { statsProblems } from "../stats/index.ts";
import { webhookProblems } from "../webhooks/index.ts";
import { x402Problems } from "../x402/index.ts";
import { peacProblems } from "./peac/problems.ts";

/** Every problem code the hub can answer with, by module. Each has docs/problems/<CODE>.md. */
export const problemCatalogue: Record<string, Record<string, ProblemSpec>> = {
  kernel: kernelProblems,
  identity: identityProblems,
  ledger: ledgerProblems,
  receipts: receiptProblems,
  peac: peacProblems,
  dpop: dpopProblems,
  catalog: catalogProblems,
  net: netProblems,
  policy: policyProblems,
  orders: orderProblems,
  channels: channelProblems,
  pipelines: pipelineProblems,
  machines: machineProblems,
  delegation: delegationProblems,
  x402: x402Problems,
  market: marketProblems,
  webhooks: webhookProblems,
  federation: federationProblems,
  stats: statsProblems,
};

/** All problem specs keyed by code. */
export function allProblems(): Map<string, ProblemSpec> {
  const out = new Map<string, ProblemSpec>();
  for (const [module, specs] of Object.entries(problemCatalogue)) {
    for (const spec of Object.values(specs)) {
      if (out.has(spec.code))
        throw new Error(`problem code ${spec.code} is defined twice (${module})`);
      out.set(spec.code, spec);
    }
  }
  return out;
}

import type { SearchContext, Service } from "../catalog/index.ts";
import { type DelegationPolicy, evaluatePolicy } from "../delegation/index.ts";
import type { Machine } from "../machines/index.ts";
import { LEDGER_RAILS } from "./purchase.ts";

/**
 * Search on behalf of a paired agent: the machine's region and skill keys rank quotes (unless
 * the agent gave its own), and services its delegation policy would refuse are left out.
 */

/** The ranking context of a machine, under what the caller asked for explicitly. */
export function machineSearchContext(machine: Machine, asked: SearchContext): SearchContext {
  return {
    ...(machine.region && machine.region !== "global" ? { region: machine.region } : {}),
    ...(machine.skill_keys.length ? { skill_keys: machine.skill_keys } : {}),
    ...asked,
  };
}

/** The order rails a service can be bought on: `agx-ledger` stands for every ledger rail. */
function railsOf(service: Service): string[] {
  const out = new Set<string>();
  for (const r of service.rails) {
    if (r === "agx-ledger") for (const l of LEDGER_RAILS) out.add(l);
    else out.add(r);
  }
  return [...out];
}

/** Whether the policy lets the agent buy this service at its list price (when it has one). */
export function policyAllows(policy: DelegationPolicy, service: Service, now_ms: number): boolean {
  const price = service.pricing.amount_minor;
  return evaluatePolicy(
    policy,
    {
      skill_key: service.skill_key,
      service_id: service.id,
      provider_key: service.provider_id,
      rails: railsOf(service),
      ...(price !== null ? { amount_minor: price } : {}),
      asset: service.pricing.asset,
    },
    { now_ms },
  ).allowed;
}

import type { Service, Skill, SkillOperation } from "../../../catalog/index.ts";
import { catalogProblems } from "../../../catalog/index.ts";
import type { Executor } from "../../../db/db.ts";
import { Problem } from "../../../kernel/problem.ts";
import type { AppContext } from "../../context.ts";
import { decimalsOf } from "../../wire.ts";

/** Most tools a manifest lists; a larger catalogue is browsed through search. */
export const MANIFEST_TOOLS_MAX = 1000;

/** One callable (product, capability) pair: an operation of a service, AIMP style. */
export interface AimpCapability {
  product_id: string;
  capability_id: string;
  service: Service;
  skill: Skill;
  operation: SkillOperation;
}

/** `analyze` of version 1.2.0 → `analyze@v1`: the AIMP capability id of an operation. */
export function capabilityIdOf(op: SkillOperation, service: Service): string {
  return `${op.name}@v${service.version.split(".")[0] ?? "1"}`;
}

/** The lowest price of one call in USD, as AIMP prints it (stablecoins count 1:1). */
export function usdPerCall(ctx: AppContext, s: Service): number {
  const p = s.pricing;
  const minor = p.amount_minor ?? p.minimum_minor ?? p.amount_minor_per_unit;
  if (minor === null) return 0;
  return Number(minor) / 10 ** decimalsOf(ctx, p.asset);
}

/** Every capability the local catalogue offers, in catalogue order, bounded. */
export async function localCapabilities(ctx: AppContext, ex: Executor): Promise<AimpCapability[]> {
  const out: AimpCapability[] = [];
  const skills = new Map<string, Skill | null>();
  let cursor: string | null = null;
  while (out.length < MANIFEST_TOOLS_MAX) {
    const page: Service[] = await ctx.catalog.listServices(ex, {}, cursor, 200);
    for (const service of page) {
      if (!skills.has(service.skill_key)) {
        skills.set(service.skill_key, await ctx.catalog.getSkill(ex, service.skill_key));
      }
      const skill = skills.get(service.skill_key);
      if (!skill) continue;
      for (const operation of skill.operations) {
        out.push({
          product_id: service.name,
          capability_id: capabilityIdOf(operation, service),
          service,
          skill,
          operation,
        });
      }
    }
    if (page.length < 200) break;
    cursor = page[page.length - 1]?.id ?? null;
  }
  // Manifests carry each service's live health (p50 latency, 30-day success rate).
  const healthy = new Map(
    (
      await ctx.catalog.withHealth(ex, [
        ...new Map(out.map((c) => [c.service.id, c.service])).values(),
      ])
    ).map((s) => [s.id, s]),
  );
  return out
    .slice(0, MANIFEST_TOOLS_MAX)
    .map((c) => ({ ...c, service: healthy.get(c.service.id) ?? c.service }));
}

/** Resolves `/{product}/{capability}` to a service operation, or CATALOG_SERVICE_NOT_FOUND. */
export async function findCapability(
  ctx: AppContext,
  ex: Executor,
  product_id: string,
  capability_id: string,
): Promise<AimpCapability> {
  const found = await ctx.catalog.serviceWithSkill(ex, product_id);
  const service = found?.service.status === "active" ? found.service : null;
  const skill = service ? (found?.skill ?? null) : null;
  const operation = skill?.operations.find(
    (op) => service && capabilityIdOf(op, service) === capability_id,
  );
  if (!service || !skill || !operation) {
    throw new Problem(
      catalogProblems.CATALOG_SERVICE_NOT_FOUND,
      `no capability ${product_id}/${capability_id}`,
    );
  }
  return { product_id, capability_id, service, skill, operation };
}

import type { BuiltinOperation, BuiltinSkill } from "../builtins/index.ts";
import { builtinSkills } from "../builtins/index.ts";
import type { Catalog, Pricing } from "../catalog/index.ts";
import type { Executor } from "../db/db.ts";

/** The service name a built-in operation is sold under, e.g. `builtin-text-stats-analyze`. */
export function builtinServiceName(skill: BuiltinSkill, op: BuiltinOperation): string {
  return `builtin-${skill.key.replace(/\./g, "-")}-${op.name.replace(/_/g, "-")}`;
}

function pricingOf(op: BuiltinOperation): Pricing {
  const p = op.pricing;
  return p.model === "fixed"
    ? {
        model: "fixed",
        asset: "USDC",
        amount_minor: p.amount_minor,
        unit: "request",
        amount_minor_per_unit: null,
        minimum_minor: null,
        notes: [],
      }
    : {
        model: "per_unit",
        asset: "USDC",
        amount_minor: null,
        unit: p.unit,
        amount_minor_per_unit: p.amount_minor_per_unit,
        minimum_minor: p.minimum_minor,
        notes: [`per ${p.unit}, at least the minimum`],
      };
}

/**
 * Publishes the hub's built-in skills and one service per operation, owned by the operator, so
 * an empty hub can be searched, quoted and invoked at once. Idempotent: what exists is kept.
 */
export async function seedBuiltins(
  tx: Executor,
  catalog: Catalog,
  operator_id: string,
): Promise<{ skills: number; services: number }> {
  let skills = 0;
  let services = 0;
  for (const skill of builtinSkills) {
    if (!(await catalog.getSkill(tx, skill.key))) {
      await catalog.publishSkill(tx, operator_id, {
        key: skill.key,
        version: "1.0.0",
        label: skill.label,
        description: skill.description,
        tags: [...skill.tags],
        operations: skill.operations.map((op) => ({
          name: op.name,
          description: op.description,
          input_schema: JSON.parse(JSON.stringify(op.input_schema)),
          output_schema: JSON.parse(JSON.stringify(op.output_schema)),
          examples: op.examples.map((e) => ({ input: e.input, output: e.output })),
        })),
      });
      skills++;
    }
    for (const op of skill.operations) {
      const name = builtinServiceName(skill, op);
      const existing = await catalog.listServices(
        tx,
        { provider_id: operator_id, skill_key: skill.key },
        null,
        100,
      );
      if (existing.some((s) => s.name === name)) continue;
      await catalog.publishService(tx, operator_id, {
        name,
        version: "1.0.0",
        skill_key: skill.key,
        description: `${skill.label}: ${op.description}`,
        company_name: "agx hub (built-in)",
        execution_mode: "native",
        endpoints: [
          {
            url: `builtin:${skill.key}#${op.name}`,
            method: "POST",
            protocols: ["agx"],
            networks: [],
          },
        ],
        handoff: null,
        region: "global",
        tags: [...skill.tags, "builtin"],
        pricing: pricingOf(op),
        rails: ["agx-ledger"],
        integration_status: "live",
        maturity: "reference",
      });
      services++;
    }
  }
  return { skills, services };
}

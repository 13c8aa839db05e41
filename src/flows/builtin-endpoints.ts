import { builtinSkills, findBuiltin } from "../builtins/index.ts";
import { catalogProblems } from "../catalog/index.ts";
import { Problem } from "../kernel/problem.ts";

const BUILTIN = "builtin:";

/**
 * Who may sell the hub's own compute. A `builtin:<skill key>[#<operation>]` endpoint runs a
 * built-in skill in the hub's process, and the service's seller is paid for it: by default only
 * an admin key (the operator's catalogue) may publish one, unless the hub lets any seller resell
 * them (`builtin_resale`). Either way the endpoint must name a built-in skill, the service's own
 * skill, and (when it names one) an operation of it.
 */
export function checkBuiltinEndpoints(
  service: { skill_key: string; endpoints: readonly { url: string }[] },
  publisher: { admin: boolean },
  builtin_resale: boolean,
): void {
  for (const [i, e] of service.endpoints.entries()) {
    if (!e.url.startsWith(BUILTIN)) continue;
    const pointer = `/endpoints/${i}/url`;
    if (!publisher.admin && !builtin_resale) {
      throw new Problem(
        catalogProblems.CATALOG_BUILTIN_RESERVED,
        `${pointer}: only the hub's operator sells its built-in skills`,
      );
    }
    const [key = "", operation] = e.url.slice(BUILTIN.length).split("#");
    const skill = builtinSkills.find((s) => s.key === key);
    const unknown =
      skill === undefined
        ? `no built-in skill "${key}"`
        : key !== service.skill_key
          ? `the built-in skill ${key} is not this service's skill ${service.skill_key}`
          : operation !== undefined && findBuiltin(key, operation) === null
            ? `the built-in skill ${key} has no operation "${operation}"`
            : null;
    if (unknown) {
      throw new Problem(catalogProblems.CATALOG_BUILTIN_UNKNOWN, `${pointer}: ${unknown}`, {
        errors: [{ pointer, detail: unknown }],
      });
    }
  }
}

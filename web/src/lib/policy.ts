import { parseAmount } from "./money.ts";

/** The delegation policy form as people fill it in: lists as comma text, limits as decimals. */
export interface PolicyForm {
  currency: string;
  perTransactionLimit: string;
  dailySpendLimit: string;
  monthlySpendLimit: string;
  totalBudget: string;
  allowedSkillKeys: string;
  deniedSkillKeys: string;
  allowedRails: string;
  expiresAt: string;
}

export const emptyPolicyForm: PolicyForm = {
  currency: "USDC",
  perTransactionLimit: "",
  dailySpendLimit: "",
  monthlySpendLimit: "",
  totalBudget: "",
  allowedSkillKeys: "",
  deniedSkillKeys: "",
  allowedRails: "",
  expiresAt: "",
};

const LIMITS = [
  "perTransactionLimit",
  "dailySpendLimit",
  "monthlySpendLimit",
  "totalBudget",
] as const;
const LISTS = ["allowedSkillKeys", "deniedSkillKeys", "allowedRails"] as const;

const listOf = (text: string) => [...new Set(text.split(/[,\s]+/).filter((s) => s.length > 0))];

/**
 * The wire body of a policy form, or the field errors that stop it. Empty limits mean "no
 * limit" (null); a daily limit above the monthly one is refused here already.
 */
export function policyBody(
  form: PolicyForm,
): { ok: true; body: Record<string, unknown> } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const body: Record<string, unknown> = {};
  const currency = form.currency.trim().toUpperCase();
  if (!/^[A-Z0-9]{2,12}$/.test(currency)) errors.currency = "Use an asset code such as USDC";
  body.currency = currency;
  const minor: Partial<Record<(typeof LIMITS)[number], bigint>> = {};
  for (const field of LIMITS) {
    const text = form[field].trim();
    if (text === "") {
      body[field] = null;
      continue;
    }
    const parsed = parseAmount(text, currency || "USDC");
    if (!parsed.ok) errors[field] = parsed.error;
    else {
      body[field] = parsed.text;
      minor[field] = parsed.minor;
    }
  }
  if (minor.dailySpendLimit !== undefined && minor.monthlySpendLimit !== undefined) {
    if (minor.dailySpendLimit > minor.monthlySpendLimit) {
      errors.dailySpendLimit = "The daily limit is above the monthly limit";
    }
  }
  for (const field of LISTS) {
    const items = listOf(form[field]);
    if (items.length > 0) body[field] = items;
  }
  if (form.expiresAt.trim() !== "") {
    const at = Date.parse(form.expiresAt);
    if (Number.isNaN(at)) errors.expiresAt = "Use a date and time";
    else body.expiresAt = new Date(at).toISOString();
  } else body.expiresAt = null;
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, body };
}

/** A form filled from a stored policy (the wire's camelCase fields). */
export function policyFormOf(policy: Record<string, unknown>): PolicyForm {
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  const list = (v: unknown) => (Array.isArray(v) ? v.join(", ") : "");
  return {
    currency: text(policy.currency) || "USDC",
    perTransactionLimit: text(policy.perTransactionLimit),
    dailySpendLimit: text(policy.dailySpendLimit),
    monthlySpendLimit: text(policy.monthlySpendLimit),
    totalBudget: text(policy.totalBudget),
    allowedSkillKeys: list(policy.allowedSkillKeys),
    deniedSkillKeys: list(policy.deniedSkillKeys),
    allowedRails: list(policy.allowedRails),
    expiresAt: text(policy.expiresAt),
  };
}

/** How much of a limit is used, 0–100 (null without a limit); never a float near money. */
export function usedPercent(spent_minor: string, limit_minor: string | null): number | null {
  if (limit_minor === null) return null;
  const limit = BigInt(limit_minor);
  if (limit === 0n) return 100;
  const pct = (BigInt(spent_minor) * 100n) / limit;
  return Number(pct > 100n ? 100n : pct);
}

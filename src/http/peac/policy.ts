import { readFileSync } from "node:fs";
import { canonicalJson, sha256Hex } from "../../kernel/json.ts";
import type { Asset } from "../../kernel/money.ts";
import { type PeacPolicy, parsePeacTxt } from "../../policy/index.ts";
import type { EnforcementPolicy } from "./enforce.ts";

const DAY_MS = 86_400_000;

/** The hub's access policy: the configured peac.txt, or the open default template. */
export interface HubPolicy {
  /** The document exactly as served at /.well-known/peac.txt. */
  text: string;
  policy: PeacPolicy;
  enforcement: EnforcementPolicy;
}

/**
 * A price in a fiat currency (`USD`) is charged in the hub's first stablecoin of that currency
 * (USDC); a price in an asset the hub keeps is charged as is. Precision is only ever widened.
 */
function priceAsset(policy: PeacPolicy, assets: readonly Asset[]) {
  const price = policy.price;
  if (!price || price.amount_minor === 0n) return null;
  const code = price.currency ?? "USD";
  const asset =
    assets.find((a) => a.code === code) ??
    (code === "USD" ? assets.find((a) => a.code === "USDC") : undefined);
  if (!asset) throw new Error(`peac.txt prices in ${code}, which this hub does not keep`);
  if (price.decimals > asset.decimals) {
    throw new Error(`peac.txt price ${price.amount} has more decimals than ${asset.code}`);
  }
  const amount_minor = price.amount_minor * 10n ** BigInt(asset.decimals - price.decimals);
  return { amount_minor, asset: asset.code, decimals: asset.decimals };
}

/** Maps a parsed peac.txt to what governed routes enforce. The free quota is per day. */
export function enforcementOf(policy: PeacPolicy, assets: readonly Asset[]): EnforcementPolicy {
  const rate = policy.rate_limit;
  return {
    usage: policy.usage,
    purposes_allowed: policy.purposes_allowed,
    purposes_prohibited: policy.purposes_prohibited,
    free_quota: policy.free_quota === null ? null : { count: policy.free_quota, window_ms: DAY_MS },
    rate_limit:
      rate && rate.kind === "window" ? { count: rate.count, window_ms: rate.window_ms } : null,
    price: priceAsset(policy, assets),
    payment_methods: policy.payment_methods,
    attribution: policy.attribution.requirement,
    attribution_format: policy.attribution.format,
    digest: `sha256:${sha256Hex(canonicalJson(policy.raw))}`,
  };
}

/**
 * The policy a hub serves when the operator configured none: open to every purpose, generous
 * limits, free, attribution optional. Catalogue reads are governed by it (and receipted).
 */
export const DEFAULT_PEAC_TXT = `# agx hub access policy (seed profile, wire 0.9.14). Replace with AGX_PEAC_TXT=<file>.
version: 0.9.14
usage: open
currency: USD
payment_methods: [agx-ledger, x402]
attribution: optional
purposes: [inference, search, research, commercial, user_action, index]
rate_limit: 600/minute
free_quota: 100000
`;

/** Loads and checks the hub's peac.txt at start; an invalid file refuses to start the hub. */
export function loadHubPolicy(path: string | null, assets: readonly Asset[]): HubPolicy {
  const text = path === null ? DEFAULT_PEAC_TXT : readFileSync(path, "utf8");
  const result = parsePeacTxt(text);
  if (!result.ok) {
    throw new Error(
      `peac.txt ${path ?? "(default)"} is invalid: ${result.code}: ${result.message}`,
    );
  }
  return { text, policy: result.policy, enforcement: enforcementOf(result.policy, assets) };
}

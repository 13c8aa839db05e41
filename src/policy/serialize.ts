import { Document, visit } from "yaml";
import { assert } from "../kernel/assert.ts";
import type { PeacPolicy, PolicyFormat, RateLimit } from "./model.ts";
import { parsePeacTxt } from "./peactxt.ts";
import { formatSeedPrice } from "./price.ts";
import { SEED_VERSION } from "./seed.ts";

/** Writes a rate limit in the peac.txt grammar ("1000/hour", "unlimited"). */
export function formatRateLimit(limit: RateLimit): string {
  return limit.kind === "unlimited" ? "unlimited" : `${limit.count}/${limit.period}`;
}

/** YAML text of flat fields, lists in flow style (`[x402]`) as the seed writes them. */
function yamlText(fields: Record<string, unknown>): string {
  const doc = new Document(fields, { version: "1.2" });
  visit(doc, {
    Seq(_key, node) {
      node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/**
 * Writes a policy as a seed wire 0.9.14 peac.txt that `parsePeacTxt` reads back to the same
 * policy. Fields the seed format lacks are not written: receipts (implied by usage),
 * daily_limit, payment_endpoint, contact and license.
 */
export function serializeSeedPeacTxt(policy: PeacPolicy): string {
  const fields: Record<string, unknown> = { version: SEED_VERSION, usage: policy.usage };
  if (policy.price !== null) {
    fields.price = formatSeedPrice(policy.price);
    if (policy.price.currency !== null) fields.currency = policy.price.currency;
  }
  if (policy.payment_methods.length > 0) fields.payment_methods = policy.payment_methods;
  fields.attribution = policy.attribution.requirement;
  if (policy.attribution.format !== null) fields.attribution_format = policy.attribution.format;
  if (policy.consent !== null) fields.consent = policy.consent;
  if (policy.privacy_policy !== null) fields.privacy_policy = policy.privacy_policy;
  if (policy.data_retention !== null) fields.data_retention = policy.data_retention.iso;
  if (policy.purposes_allowed !== null) fields.purposes = policy.purposes_allowed;
  if (policy.rate_limit !== null) fields.rate_limit = formatRateLimit(policy.rate_limit);
  if (policy.free_quota !== null) fields.free_quota = policy.free_quota;
  if (policy.negotiate !== null) fields.negotiate = policy.negotiate;
  return yamlText(fields);
}

/** The seed README's example peac.txt, the default of `peac init --format seed`. */
const SEED_EXAMPLE = `version: 0.9.14
usage: conditional
price: $0.001/request
currency: USD
payment_methods: [x402]
attribution: required
attribution_format: "Source: {url}"
consent: optional
privacy_policy: https://example.com/privacy
data_retention: P30D
purposes: [research, commercial, training]
rate_limit: 1000/hour
free_quota: 100
negotiate: https://api.example.com/peac/negotiate
`;

/** PEAC-TXT.md §10.2 (conditional API access), the default of `peac init --format policy`. */
const POLICY_EXAMPLE = `version: "peac-policy/0.1"
usage: conditional
purposes: [inference, ai_input]
receipts: required
attribution: required
rate_limit: 100/hour
daily_limit: 1000
price: 10
currency: USD
payment_methods: [x402]
negotiate: https://api.example.com/peac/negotiate
contact: api-support@example.com
`;

function header(format: PolicyFormat): string {
  return [
    `# peac.txt (${format}): serve at https://<your-host>/.well-known/peac.txt`,
    "# Replace the example values (example.com URLs, price, limits) before publishing.",
    "",
  ].join("\n");
}

/** The starting peac.txt that `peac init` writes; it always validates. */
export function peacTxtTemplate(format: PolicyFormat): string {
  if (format === "peac-policy/0.1") return header(format) + POLICY_EXAMPLE;
  const example = parsePeacTxt(SEED_EXAMPLE);
  assert(example.ok, "the seed example is a valid peac.txt");
  return header(format) + serializeSeedPeacTxt(example.policy);
}

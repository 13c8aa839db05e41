export {
  type AddressRange,
  classifyAddress,
  classifyIPv4,
  classifyIPv6,
  formatIPv4,
  type IpLiteral,
  isRangeAllowed,
  parseIPv4,
  parseIPv6,
  parseIpLiteral,
} from "./address.ts";
export { netProblems } from "./problems.ts";
export {
  type BlockReason,
  checkOutboundUrl,
  type GuardedFetchOptions,
  type GuardedResponse,
  guardedFetch,
  netLimits,
  normaliseHost,
  type OutboundOptions,
  type OutboundTarget,
  type ResolvedAddress,
} from "./ssrf.ts";

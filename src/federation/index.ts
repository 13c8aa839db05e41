export { CAPABILITY_ID, crawlPeer, hubOrigin, PRODUCT_ID, readTools } from "./crawl.ts";
export {
  type AnnounceInput,
  type CrawlReport,
  createFederation,
  type Federation,
  type FederationDeps,
  type Sealer,
} from "./federation.ts";
export { federationLimits } from "./limits.ts";
export * from "./machine.ts";
export { federationMigrations } from "./migrations.ts";
export * from "./model.ts";
export {
  capabilityPath,
  guardedPeerFetch,
  type Outbound,
  type PeerFetch,
  type PeerRequest,
} from "./peer-client.ts";
export { federationProblems } from "./problems.ts";
export {
  invokeAtProvider,
  type ProviderAnswer,
  type ProviderCall,
  quoteAtProvider,
} from "./provider.ts";
export { trustScore } from "./trust.ts";
export { decimalTextToMinorCeil, numberText } from "./usd.ts";

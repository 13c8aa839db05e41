import { defineProblems } from "../kernel/problem.ts";

/** Problems of AIMP v2 federation: announces, peers, federated search and routed calls. */
export const federationProblems = defineProblems({
  FEDERATION_ANNOUNCE_INVALID: { status: 400, title: "The federation announce is not valid" },
  FEDERATION_PEER_LIMIT: { status: 429, title: "The hub takes no more peers for now" },
  FEDERATION_PEER_NOT_FOUND: { status: 404, title: "The peer hub is not known here" },
  FEDERATION_PEER_UNAVAILABLE: {
    status: 409,
    title: "The peer hub is not verified and reachable",
  },
  FEDERATION_PEER_NOT_ROUTABLE: {
    status: 409,
    title: "This hub has no account at the peer hub",
  },
  FEDERATION_CAPABILITY_NOT_FOUND: {
    status: 404,
    title: "No verified peer offers that capability",
  },
  FEDERATION_PEER_FAILED: { status: 502, title: "The provider hub failed the routed call" },
});

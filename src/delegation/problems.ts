import { defineProblems } from "../kernel/problem.ts";

/** Problems raised by the delegation module (agent pairings and their spend policy). */
export const delegationProblems = defineProblems({
  AGENT_PAIRING_PROOF_REQUIRED: { status: 400, title: "An agent pairing proof is required" },
  AGENT_PAIRING_PROOF_INVALID: { status: 401, title: "The agent pairing proof is not valid" },
  AGENT_PAIRING_PROOF_EXPIRED: {
    status: 401,
    title: "The agent pairing challenge has expired or was already used",
  },
  AGENT_PAIRING_REQUIRED: { status: 401, title: "An agent pairing token is required" },
  AGENT_PAIRING_TOKEN_INVALID: { status: 401, title: "The agent pairing token is not valid" },
  AGENT_PAIRING_TOKEN_EXPIRED: { status: 401, title: "The agent pairing token has expired" },
  AGENT_PAIRING_TOKEN_STALE: {
    status: 401,
    title: "The agent pairing token was superseded by a newer session or policy",
  },
  AGENT_PAIRING_MACHINE_MISMATCH: {
    status: 403,
    title: "The agent pairing token is for another machine",
  },
  AGENT_PAIRING_INACTIVE: { status: 403, title: "The agent pairing is paused or revoked" },
  AGENT_PAIRING_NOT_FOUND: { status: 404, title: "The agent pairing does not exist" },
  AGENT_PAIRING_EXISTS: {
    status: 409,
    title: "This agent is already paired with the machine",
  },
  AGENT_PAIRING_LIMIT_REACHED: { status: 422, title: "The machine has too many agent pairings" },
  AGENT_PAIRING_TRANSITION_INVALID: {
    status: 409,
    title: "The agent pairing cannot move to that status",
  },
  AGENT_POLICY_INVALID: { status: 400, title: "The delegation policy is not valid" },
  AGENT_POLICY_DENIED: { status: 403, title: "The delegation policy does not allow this" },
  AGENT_SPEND_LIMIT_EXCEEDED: {
    status: 403,
    title: "The purchase exceeds a spend limit of the delegation policy",
  },
  AGENT_DAILY_LIMIT_EXCEEDED: {
    status: 403,
    title: "The purchase exceeds the daily spend limit of the delegation policy",
  },
});

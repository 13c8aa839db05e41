/**
 * Test helpers for the delegation suites: the challenge → sign → pair round trip with generated
 * agent wallets. Not exported from index.ts; only tests import this file.
 */
import type { PrivateKeyAccount } from "viem/accounts";
import type { Database } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { createDelegation, type Delegation } from "./delegation.ts";
import type { DelegationPolicy } from "./model.ts";
import { openPolicy } from "./policy.ts";

export const TEST_HUB = "https://hub.example";
export const TEST_SECRET = "pairing-secret-for-tests-0123456789abcdef";

export function testDelegation(clock: Clock): Delegation {
  return createDelegation({ clock, hub: () => TEST_HUB, token_secrets: { current: TEST_SECRET } });
}

export const agentSpec = (agent: PrivateKeyAccount) => ({
  agent_address: agent.address,
  agent_provider: "anthropic",
  agent_role: "buyer",
});

/** A pairing challenge asked by `owner`, signed by the agent. */
export async function signedPairingChallenge(
  delegation: Delegation,
  db: Database,
  machine_id: string,
  owner: string | null,
  agent: PrivateKeyAccount,
  purpose: "pairing" | "session" = "pairing",
) {
  const challenge = await db.transaction((tx) =>
    delegation.createChallenge(tx, machine_id, {
      ...agentSpec(agent),
      purpose,
      requester_id: owner,
    }),
  );
  const signature = await agent.signMessage({ message: challenge.message });
  return { challenge, proof: { challenge_id: challenge.id, signature } };
}

/** Pairs `agent` with `machine_id` under `policy`; returns the pairing and its token. */
export async function pairAgent(
  delegation: Delegation,
  db: Database,
  machine_id: string,
  owner: string,
  agent: PrivateKeyAccount,
  policy: DelegationPolicy = openPolicy(),
) {
  const { proof } = await signedPairingChallenge(delegation, db, machine_id, owner, agent);
  return db.transaction((tx) =>
    delegation.pair(tx, {
      ...agentSpec(agent),
      machine_id,
      owner_id: owner,
      description: null,
      policy,
      proof,
    }),
  );
}

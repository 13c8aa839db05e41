/**
 * Test helpers for the machines suites: generated EVM keys and the challenge → sign → register
 * round trip. Not exported from index.ts; only tests import this file.
 */
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { expect } from "vitest";
import type { Database } from "../db/db.ts";
import type { Clock } from "../kernel/clock.ts";
import { isProblem } from "../kernel/problem.ts";
import type { ControllerResolver } from "./controllers.ts";
import { createMachines, type MachineInput, type Machines } from "./machines.ts";
import type { Machine } from "./model.ts";

export const TEST_HUB = "https://hub.example";
/** A fixed 32-byte key for sealing endpoint tokens in tests. */
export const TEST_ENDPOINT_KEY = new Uint8Array(32).fill(7);

/** A fresh secp256k1 key, as a wallet would hold it. */
export function newAccount(): PrivateKeyAccount {
  return privateKeyToAccount(generatePrivateKey());
}

/** A machines service with test deps; `checkUrl` refuses nothing. */
export function testMachines(clock: Clock, resolvers?: readonly ControllerResolver[]): Machines {
  return createMachines({
    clock,
    hub: () => TEST_HUB,
    endpoint_secret_key: TEST_ENDPOINT_KEY,
    checkUrl: async () => {},
    ...(resolvers ? { resolvers } : {}),
  });
}

export function machineInput(identity_ref: string, extra: Partial<MachineInput> = {}) {
  return {
    identity_ref,
    display_name: "Rover 7",
    machine_type: "robot",
    runtime_profile: "edge",
    region: "eu-west",
    capabilities: ["camera"],
    labels: { site: "depot" },
    skill_keys: ["vision.detect"],
    activate: true,
    ...extra,
  } satisfies MachineInput;
}

/** Asks for a challenge as `owner` and signs it with `signer`. */
export async function signedChallenge(
  machines: Machines,
  db: Database,
  owner: string,
  identity_ref: string,
  signer: PrivateKeyAccount,
) {
  const resolution = await machines.resolve(db.kysely, identity_ref);
  const challenge = await db.transaction((tx) =>
    machines.createChallenge(tx, owner, identity_ref, resolution),
  );
  const signature = await signer.signMessage({ message: challenge.message });
  return { challenge, proof: { challenge_id: challenge.id, signature } };
}

/** The whole registration: challenge, signature, verification outside, register inside a tx. */
export async function registerMachine(
  machines: Machines,
  db: Database,
  owner: string,
  identity_ref: string,
  signer: PrivateKeyAccount,
  extra: Partial<MachineInput> = {},
): Promise<Machine> {
  const { proof } = await signedChallenge(machines, db, owner, identity_ref, signer);
  const verified = await machines.verifyProof(db.kysely, owner, identity_ref, proof);
  return db.transaction((tx) =>
    machines.register(tx, owner, machineInput(identity_ref, extra), verified),
  );
}

/** Awaits `work` and expects it to fail with the Problem `code`. */
export async function expectProblem(work: Promise<unknown>, code: string): Promise<void> {
  const outcome = await work.then(
    () => "resolved",
    (e: unknown) => (isProblem(e) ? e.code : String(e)),
  );
  expect(outcome).toBe(code);
}

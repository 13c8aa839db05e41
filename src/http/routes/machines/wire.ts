import { type Static, Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";
import { isoOf } from "../../../kernel/clock.ts";
import {
  EIP191_SIGNATURE_PATTERN,
  IDENTITY_REF_PATTERN,
  type IdentityChallenge,
  type IdentityProof,
  type Machine,
  machineLimits,
  type Viewer,
} from "../../../machines/index.ts";
import { callerOf } from "../../auth.ts";

/** Who is asking, as the machines module sees it: the owner, or any machine with an admin key. */
export function viewerOf(request: FastifyRequest): Viewer {
  const caller = callerOf(request);
  return { principal_id: caller.principal.id, admin: caller.key.scope === "admin" };
}

export const MachineId = Type.String({ pattern: "^mach_[0-9a-z]{26}$" });
export const MachineParams = Type.Object({ id: MachineId });
export const EvmAddress = Type.String({ pattern: "^0x[0-9a-fA-F]{40}$" });
export const IdentityRef = Type.String({
  pattern: IDENTITY_REF_PATTERN,
  maxLength: machineLimits.identity_ref_chars_max,
  examples: ["did:peaq:0x52908400098527886E0F7030069857D2E4169EE7", "peaqos:machine:rover-7"],
});
export const ChallengeId = Type.String({ pattern: "^[a-z]{2,4}_[0-9a-z]{26}$" });
export const Signature = Type.String({
  pattern: EIP191_SIGNATURE_PATTERN,
  description: "EIP-191 personal_sign signature (65 bytes, hex)",
});
export const ProofBody = Type.Object(
  { challengeId: ChallengeId, signature: Signature },
  { additionalProperties: false },
);

const Word = (max: number) => Type.String({ minLength: 1, maxLength: max });
const Words = (max_items: number) =>
  Type.Array(Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$" }), {
    maxItems: max_items,
    uniqueItems: true,
  });
const Labels = Type.Record(
  Type.String({ pattern: "^[A-Za-z0-9_.:-]{1,64}$" }),
  Type.String({ maxLength: machineLimits.label_chars_max }),
  { maxProperties: machineLimits.labels_max },
);

/** The fields an owner writes on a machine (register and PATCH). */
export const MachineFields = {
  displayName: Type.Optional(Word(machineLimits.display_name_chars_max)),
  machineType: Type.Optional(Word(40)),
  runtimeProfile: Type.Optional(Word(40)),
  region: Type.Optional(Type.String({ pattern: "^[a-z0-9-]{2,40}$" })),
  capabilities: Type.Optional(Words(machineLimits.capabilities_max)),
  labels: Type.Optional(Labels),
  skillKeys: Type.Optional(Words(machineLimits.skill_keys_max)),
};

type FieldBody = Partial<{ [K in keyof typeof MachineFields]: Static<(typeof MachineFields)[K]> }>;

/** Wire names → module names, leaving out what was not sent. */
export function machineFieldsOf(b: FieldBody) {
  return {
    ...(b.displayName !== undefined ? { display_name: b.displayName } : {}),
    ...(b.machineType !== undefined ? { machine_type: b.machineType } : {}),
    ...(b.runtimeProfile !== undefined ? { runtime_profile: b.runtimeProfile } : {}),
    ...(b.region !== undefined ? { region: b.region } : {}),
    ...(b.capabilities !== undefined ? { capabilities: b.capabilities } : {}),
    ...(b.labels !== undefined ? { labels: b.labels } : {}),
    ...(b.skillKeys !== undefined ? { skill_keys: b.skillKeys } : {}),
  };
}

export const ProofWire = Type.Object({
  method: Type.Literal("eip191"),
  identityRef: Type.String(),
  signerAddress: Type.String(),
  challengeId: Type.String(),
  verifiedAt: Type.String(),
  challengeExpiresAt: Type.String(),
  controllerAddresses: Type.Array(Type.String()),
  resolutionSource: Type.String(),
});

export function proofWire(p: IdentityProof) {
  return {
    method: p.method,
    identityRef: p.identity_ref,
    signerAddress: p.signer_address,
    challengeId: p.challenge_id,
    verifiedAt: isoOf(p.verified_at_ms),
    challengeExpiresAt: isoOf(p.challenge_expires_at_ms),
    controllerAddresses: p.controller_addresses,
    resolutionSource: p.resolution_source,
  };
}

export const MachineWire = Type.Object({
  id: Type.String(),
  displayName: Type.String(),
  status: Type.String(),
  ownerId: Type.String(),
  identityRef: Type.String(),
  identityProof: ProofWire,
  machineType: Type.String(),
  runtimeProfile: Type.String(),
  region: Type.String(),
  capabilities: Type.Array(Type.String()),
  labels: Type.Record(Type.String(), Type.String()),
  skillKeys: Type.Array(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export function machineWire(m: Machine) {
  return {
    id: m.id,
    displayName: m.display_name,
    status: m.status,
    ownerId: m.owner_id,
    identityRef: m.identity_ref,
    identityProof: proofWire(m.identity_proof),
    machineType: m.machine_type,
    runtimeProfile: m.runtime_profile,
    region: m.region,
    capabilities: m.capabilities,
    labels: m.labels,
    skillKeys: m.skill_keys,
    createdAt: isoOf(m.created_at_ms),
    updatedAt: isoOf(m.updated_at_ms),
  };
}

export const ChallengeWire = Type.Object({
  challengeId: Type.String(),
  identityRef: Type.String(),
  message: Type.String({ description: "Sign exactly this text with EIP-191 personal_sign" }),
  expiresAt: Type.String(),
  verificationMethod: Type.Literal("eip191"),
  controllerAddresses: Type.Array(Type.String()),
  resolutionSource: Type.String(),
});

export function challengeWire(c: IdentityChallenge) {
  return {
    challengeId: c.id,
    identityRef: c.identity_ref,
    message: c.message,
    expiresAt: isoOf(c.expires_at_ms),
    verificationMethod: "eip191" as const,
    controllerAddresses: c.controller_addresses,
    resolutionSource: c.resolution_source,
  };
}

/** A body's proof in module names (undefined stays undefined: the module says it is required). */
export function proofOf(p: Static<typeof ProofBody> | undefined) {
  return p ? { challenge_id: p.challengeId, signature: p.signature } : undefined;
}

/** `{items, nextCursor}` pages with limit 1..500 (peaq). */
export const PageQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: machineLimits.page_size_max,
        default: machineLimits.page_size_default,
      }),
    ),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export function pageOf<T extends { id: string }, W>(rows: T[], limit: number, wire: (t: T) => W) {
  const page = rows.slice(0, limit);
  return {
    items: page.map(wire),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}

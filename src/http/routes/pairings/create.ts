import { Type } from "@sinclair/typebox";
import { delegationLimits } from "../../../delegation/index.ts";
import { pairAgent } from "../../../flows/machine-pairing.ts";
import type { App } from "../../app.ts";
import { ioOf, type MachineRouteContext, modulesOf } from "../machines/context.ts";
import { MachineParams, ProofBody, proofOf, viewerOf } from "../machines/wire.ts";
import {
  AgentFields,
  agentSpecOf,
  PairingWire,
  PolicyBody,
  pairingWire,
  policyOf,
} from "./wire.ts";

const Body = Type.Object(
  {
    ...AgentFields,
    description: Type.Optional(Type.String({ maxLength: delegationLimits.description_chars_max })),
    agentProof: Type.Optional(ProofBody),
    delegationPolicy: PolicyBody,
  },
  { additionalProperties: false },
);

/** peaq: pairs an agent that signed the challenge; returns the pairing token once. */
export default function createPairing(app: App, ctx: MachineRouteContext) {
  app.post(
    "/api/v1/machines/:id/agent-pairings",
    {
      config: { access: "write" },
      schema: {
        summary: "Pair an agent with your active machine under a delegation policy",
        tags: ["pairings"],
        operationId: "createAgentPairing",
        security: [{ apiKey: [] }],
        params: MachineParams,
        body: Body,
        response: { 201: Type.Object({ item: PairingWire }) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const { pairing, token } = await pairAgent(
        modulesOf(ctx),
        ioOf(ctx, request, reply, 201),
        viewerOf(request),
        request.params.id,
        {
          ...agentSpecOf(b),
          description: b.description ?? null,
          policy: policyOf(ctx, b.delegationPolicy),
          proof: proofOf(b.agentProof),
        },
      );
      return { item: pairingWire(ctx, { pairing, spend: [] }, token) };
    },
  );
}

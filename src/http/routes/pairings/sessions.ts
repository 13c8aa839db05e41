import { Type } from "@sinclair/typebox";
import { rotateSession } from "../../../flows/machine-pairing.ts";
import type { App } from "../../app.ts";
import { ioOf, type MachineRouteContext, modulesOf } from "../machines/context.ts";
import { ProofBody, proofOf } from "../machines/wire.ts";
import { PairingParams, PairingWire, pairingWire } from "./wire.ts";

/**
 * peaq: a new session token with a fresh proof. No API key needed: the agent's signature of a
 * session challenge for this pairing is its authentication, and it supersedes the old token.
 */
export default function rotatePairingSession(app: App, ctx: MachineRouteContext) {
  app.post(
    "/api/v1/machines/:id/agent-pairings/:pairingId/sessions",
    {
      config: { access: "public" },
      schema: {
        summary: "Rotate a pairing's session token with a fresh agent proof",
        tags: ["pairings"],
        operationId: "rotateAgentPairingSession",
        params: PairingParams,
        body: Type.Object(
          { agentProof: Type.Optional(ProofBody) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ item: PairingWire }) },
      },
    },
    async (request, reply) => {
      const { id, pairingId } = request.params;
      const { pairing, token } = await rotateSession(
        modulesOf(ctx),
        ioOf(ctx, request, reply, 201),
        id,
        pairingId,
        proofOf(request.body.agentProof),
      );
      return { item: pairingWire(ctx, { pairing, spend: [] }, token) };
    },
  );
}

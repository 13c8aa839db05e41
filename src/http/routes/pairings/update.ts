import { Type } from "@sinclair/typebox";
import { delegationLimits, type PairingPatch } from "../../../delegation/index.ts";
import { changePairing } from "../../../flows/machine-pairing.ts";
import type { App } from "../../app.ts";
import { ioOf, type MachineRouteContext, modulesOf } from "../machines/context.ts";
import { viewerOf } from "../machines/wire.ts";
import { PairingParams, PairingWire, PolicyBody, pairingWire, policyOf } from "./wire.ts";

const Patch = Type.Object(
  {
    delegationPolicy: Type.Optional(PolicyBody),
    status: Type.Optional(Type.Union([Type.Literal("active"), Type.Literal("paused")])),
    description: Type.Optional(
      Type.Union([Type.String({ maxLength: delegationLimits.description_chars_max }), Type.Null()]),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** peaq: change a pairing's policy or pause it (both immediate), and revoke it at once. */
export default function updatePairing(app: App, ctx: MachineRouteContext) {
  app.patch(
    "/api/v1/machines/:id/agent-pairings/:pairingId",
    {
      config: { access: "write" },
      schema: {
        summary: "Change a pairing's policy, status or description; old-policy tokens go stale",
        tags: ["pairings"],
        operationId: "updateAgentPairing",
        security: [{ apiKey: [] }],
        params: PairingParams,
        body: Patch,
        response: { 200: Type.Object({ item: PairingWire }) },
      },
    },
    async (request, reply) => {
      const { id, pairingId } = request.params;
      const b = request.body;
      const patch: PairingPatch = {
        ...(b.delegationPolicy ? { policy: policyOf(ctx, b.delegationPolicy) } : {}),
        ...(b.status ? { status: b.status } : {}),
        ...(b.description !== undefined ? { description: b.description } : {}),
      };
      const io = ioOf(ctx, request, reply, 200);
      const pairing = await changePairing(
        modulesOf(ctx),
        io,
        viewerOf(request),
        id,
        pairingId,
        patch,
      );
      return { item: pairingWire(ctx, { pairing, spend: [] }) };
    },
  );
  app.delete(
    "/api/v1/machines/:id/agent-pairings/:pairingId",
    {
      config: { access: "write" },
      schema: {
        summary: "Revoke a pairing at once (every token of it is refused from now on)",
        tags: ["pairings"],
        operationId: "revokeAgentPairing",
        security: [{ apiKey: [] }],
        params: PairingParams,
        response: { 200: Type.Object({ item: PairingWire }) },
      },
    },
    async (request, reply) => {
      const { id, pairingId } = request.params;
      const io = ioOf(ctx, request, reply, 200);
      const pairing = await changePairing(
        modulesOf(ctx),
        io,
        viewerOf(request),
        id,
        pairingId,
        "revoke",
      );
      return { item: pairingWire(ctx, { pairing, spend: [] }) };
    },
  );
}

import { Type } from "@sinclair/typebox";
import { machinePairing, machinePairings } from "../../../flows/machine-pairing.ts";
import type { App } from "../../app.ts";
import { type MachineRouteContext, modulesOf } from "../machines/context.ts";
import { MachineParams, viewerOf } from "../machines/wire.ts";
import { PairingParams, PairingWire, pairingWire } from "./wire.ts";

/** peaq: a machine's pairings, with their policies and spend, for its owner. */
export default function readPairings(app: App, ctx: MachineRouteContext) {
  app.get(
    "/api/v1/machines/:id/agent-pairings",
    {
      config: { access: "read" },
      schema: {
        summary: "List a machine's agent pairings with policies and spend",
        tags: ["pairings"],
        operationId: "listAgentPairings",
        security: [{ apiKey: [] }],
        params: MachineParams,
        response: { 200: Type.Object({ items: Type.Array(PairingWire) }) },
      },
    },
    async (request) => {
      const views = await machinePairings(
        modulesOf(ctx),
        ctx.db.kysely,
        viewerOf(request),
        request.params.id,
      );
      return { items: views.map((v) => pairingWire(ctx, v)) };
    },
  );
  app.get(
    "/api/v1/machines/:id/agent-pairings/:pairingId",
    {
      config: { access: "read" },
      schema: {
        summary: "Read one agent pairing",
        tags: ["pairings"],
        operationId: "getAgentPairing",
        security: [{ apiKey: [] }],
        params: PairingParams,
        response: { 200: Type.Object({ item: PairingWire }) },
      },
    },
    async (request) => {
      const { id, pairingId } = request.params;
      const view = await machinePairing(
        modulesOf(ctx),
        ctx.db.kysely,
        viewerOf(request),
        id,
        pairingId,
      );
      return { item: pairingWire(ctx, view) };
    },
  );
}

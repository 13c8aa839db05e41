import { Type } from "@sinclair/typebox";
import type { App } from "../../app.ts";
import { writeTx } from "../../idempotency.ts";
import type { MachineRouteContext } from "./context.ts";
import {
  IdentityRef,
  MachineFields,
  MachineParams,
  MachineWire,
  machineFieldsOf,
  machineWire,
  ProofBody,
  proofOf,
  viewerOf,
} from "./wire.ts";

const Status = Type.Union(
  ["draft", "active", "degraded", "blocked", "archived"].map((s) => Type.Literal(s)),
);

const Patch = Type.Object(
  {
    ...MachineFields,
    identityRef: Type.Optional(IdentityRef),
    status: Type.Optional(Status),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** peaq: partial update (identityRef immutable), and re-proving a machine's identity. */
export default function updateMachine(app: App, ctx: MachineRouteContext) {
  app.patch(
    "/api/v1/machines/:id",
    {
      config: { access: "write" },
      schema: {
        summary: "Change a machine (status through its state machine; identityRef is immutable)",
        tags: ["machines"],
        operationId: "updateMachine",
        security: [{ apiKey: [] }],
        params: MachineParams,
        body: Patch,
        response: { 200: Type.Object({ item: MachineWire }) },
      },
    },
    async (request, reply) => {
      const viewer = viewerOf(request);
      const b = request.body;
      // A machine-bound write: re-check first, outside the transaction, so a block persists.
      const m = await ctx.machines.get(ctx.db.kysely, viewer, request.params.id);
      await ctx.machines.recheck(ctx.db.kysely, m);
      const patch = {
        ...machineFieldsOf(b),
        ...(b.identityRef !== undefined ? { identity_ref: b.identityRef } : {}),
        ...(b.status !== undefined ? { status: b.status as typeof m.status } : {}),
      };
      return writeTx(ctx, request, reply, 200, async (tx) => ({
        item: machineWire(await ctx.machines.update(tx, viewer, m.id, patch)),
      }));
    },
  );
  app.put(
    "/api/v1/machines/:id/identity-proof",
    {
      config: { access: "write" },
      schema: {
        summary: "Prove the machine's identity again (the way out of blocked)",
        tags: ["machines"],
        operationId: "reproveMachine",
        security: [{ apiKey: [] }],
        params: MachineParams,
        body: Type.Object({ identityProof: ProofBody }, { additionalProperties: false }),
        response: { 200: Type.Object({ item: MachineWire }) },
      },
    },
    async (request, reply) => {
      const viewer = viewerOf(request);
      const m = await ctx.machines.get(ctx.db.kysely, viewer, request.params.id);
      const proof = await ctx.machines.verifyProof(
        ctx.db.kysely,
        viewer.principal_id,
        m.identity_ref,
        proofOf(request.body.identityProof),
      );
      return writeTx(ctx, request, reply, 200, async (tx) => ({
        item: machineWire(await ctx.machines.reprove(tx, viewer, m.id, proof)),
      }));
    },
  );
}

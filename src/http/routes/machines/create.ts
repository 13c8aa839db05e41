import { Type } from "@sinclair/typebox";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import { writeTx } from "../../idempotency.ts";
import type { MachineRouteContext } from "./context.ts";
import {
  IdentityRef,
  MachineFields,
  MachineWire,
  machineFieldsOf,
  machineWire,
  ProofBody,
  proofOf,
} from "./wire.ts";

const Body = Type.Object(
  {
    identityRef: IdentityRef,
    ...MachineFields,
    activate: Type.Optional(
      Type.Boolean({ description: "false registers a draft (default true)" }),
    ),
    identityProof: Type.Optional(ProofBody),
  },
  { additionalProperties: false },
);

/** peaq: registers a machine whose controller signed the challenge; the caller owns it. */
export default function createMachine(app: App, ctx: MachineRouteContext) {
  app.post(
    "/api/v1/machines",
    {
      config: { access: "write" },
      schema: {
        summary: "Register a machine with an identity proof",
        tags: ["machines"],
        operationId: "createMachine",
        security: [{ apiKey: [] }],
        body: Body,
        response: { 201: Type.Object({ item: MachineWire }) },
      },
    },
    async (request, reply) => {
      const owner = callerOf(request).principal.id;
      const b = request.body;
      // Verified before the transaction (it may call out); the challenge is consumed inside it.
      const proof = await ctx.machines.verifyProof(
        ctx.db.kysely,
        owner,
        b.identityRef,
        proofOf(b.identityProof),
      );
      const input = {
        identity_ref: b.identityRef,
        display_name: b.displayName ?? b.identityRef,
        machine_type: "device",
        runtime_profile: "default",
        region: "global",
        capabilities: [],
        labels: {},
        skill_keys: [],
        ...machineFieldsOf(b),
        activate: b.activate ?? true,
      };
      return writeTx(ctx, request, reply, 201, async (tx) => ({
        item: machineWire(await ctx.machines.register(tx, owner, input, proof)),
      }));
    },
  );
}

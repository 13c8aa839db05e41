import { Type } from "@sinclair/typebox";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import { writeTx } from "../../idempotency.ts";
import type { MachineRouteContext } from "./context.ts";
import { ChallengeWire, challengeWire, IdentityRef } from "./wire.ts";

const Body = Type.Object({ identityRef: IdentityRef }, { additionalProperties: false });

/** peaq: a short-lived, single-use challenge for the identity's controller to sign. */
export default function identityChallenge(app: App, ctx: MachineRouteContext) {
  app.post(
    "/api/v1/machine-identity/challenges",
    {
      config: { access: "write" },
      schema: {
        summary: "Ask for a machine identity challenge (sign it with EIP-191 personal_sign)",
        tags: ["machines"],
        operationId: "createMachineIdentityChallenge",
        security: [{ apiKey: [] }],
        body: Body,
        response: { 201: Type.Object({ item: ChallengeWire }) },
      },
    },
    async (request, reply) => {
      const requester = callerOf(request).principal.id;
      const { identityRef } = request.body;
      // The controller lookup may call an RPC: it runs before the transaction opens.
      const resolution = await ctx.machines.resolve(ctx.db.kysely, identityRef);
      return writeTx(ctx, request, reply, 201, async (tx) => ({
        item: challengeWire(
          await ctx.machines.createChallenge(tx, requester, identityRef, resolution),
        ),
      }));
    },
  );
}

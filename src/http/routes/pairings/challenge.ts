import { Type } from "@sinclair/typebox";
import { agentChallenge } from "../../../flows/machine-pairing.ts";
import { scopeCovers } from "../../../identity/index.ts";
import { Problem } from "../../../kernel/problem.ts";
import { kernelProblems } from "../../../kernel/problems.ts";
import type { App } from "../../app.ts";
import { ioOf, type MachineRouteContext, modulesOf } from "../machines/context.ts";
import { MachineParams } from "../machines/wire.ts";
import { AgentFields, agentSpecOf, PairingChallengeWire, pairingChallengeWire } from "./wire.ts";

const Body = Type.Object(
  {
    ...AgentFields,
    purpose: Type.Optional(
      Type.Union([Type.Literal("pairing"), Type.Literal("session")], {
        description: "pairing (the owner, with a write key) or session (the agent may ask itself)",
      }),
    ),
  },
  { additionalProperties: false },
);

/** peaq: a machine-bound challenge for the agent's wallet key to sign. */
export default function pairingChallenge(app: App, ctx: MachineRouteContext) {
  app.post(
    "/api/v1/machines/:id/agent-pairings/challenges",
    {
      config: { access: "public" },
      schema: {
        summary: "Ask for an agent pairing (or session renewal) challenge",
        tags: ["pairings"],
        operationId: "createAgentPairingChallenge",
        security: [{ apiKey: [] }, {}],
        params: MachineParams,
        body: Body,
        response: { 201: Type.Object({ item: PairingChallengeWire }) },
      },
    },
    async (request, reply) => {
      const purpose = request.body.purpose ?? "pairing";
      const caller = request.caller;
      if (purpose === "pairing" && !caller) {
        throw new Problem(kernelProblems.UNAUTHENTICATED, "pairing challenges need an API key", {
          headers: { "www-authenticate": 'Bearer realm="agx"' },
        });
      }
      if (caller && !scopeCovers(caller.key.scope, "write")) {
        throw new Problem(kernelProblems.FORBIDDEN, "this route needs a write key");
      }
      const viewer = caller
        ? { principal_id: caller.principal.id, admin: caller.key.scope === "admin" }
        : null;
      const challenge = await agentChallenge(
        modulesOf(ctx),
        ioOf(ctx, request, reply, 201),
        viewer,
        request.params.id,
        { ...agentSpecOf(request.body), purpose },
      );
      return { item: pairingChallengeWire(challenge) };
    },
  );
}

import { Type } from "@sinclair/typebox";
import { evaluatePolicy } from "../../../delegation/index.ts";
import { authenticateAgent } from "../../../flows/machine-pairing.ts";
import { decimalToMinor } from "../../../kernel/money.ts";
import { Problem } from "../../../kernel/problem.ts";
import { kernelProblems } from "../../../kernel/problems.ts";
import type { App } from "../../app.ts";
import { PAIRING_TOKEN_HEADER, pairingTokenOf } from "../../purchaser.ts";
import { AssetCode, DecimalAmount } from "../../schemas.ts";
import { type MachineRouteContext, modulesOf } from "../machines/context.ts";
import { MachineParams } from "../machines/wire.ts";
import { PairingWire, pairingWire } from "./wire.ts";

const headers = Type.Object({ [PAIRING_TOKEN_HEADER]: Type.Optional(Type.String()) });

const Check = Type.Object(
  {
    skillKey: Type.String({ minLength: 1, maxLength: 80 }),
    serviceId: Type.String({ minLength: 1, maxLength: 80 }),
    providerKey: Type.String({ minLength: 1, maxLength: 80 }),
    rails: Type.Array(Type.String({ pattern: "^[a-z0-9-]{2,40}$" }), { minItems: 1, maxItems: 16 }),
    amount: Type.Optional(DecimalAmount),
    asset: Type.Optional(AssetCode),
  },
  { additionalProperties: false },
);

/** The paired agent's own view: its pairing, policy and spend, for its own machine only. */
export default function agentSession(app: App, ctx: MachineRouteContext) {
  app.get(
    "/api/v1/machines/:id/agent-session",
    {
      config: { access: "public" },
      schema: {
        summary: "The calling agent's pairing (x-agent-pairing-token), policy and spend",
        tags: ["pairings"],
        operationId: "getAgentSession",
        params: MachineParams,
        headers,
        response: { 200: Type.Object({ item: PairingWire }) },
      },
    },
    async (request) => {
      const mods = modulesOf(ctx);
      const token = pairingTokenOf(request);
      const s = await authenticateAgent(mods, ctx.db.kysely, token, request.params.id, {
        recheck: false,
      });
      const spend = await ctx.delegation.spendOf(ctx.db.kysely, [s.pairing.id], ctx.clock.now_ms());
      return { item: pairingWire(ctx, { pairing: s.pairing, spend }) };
    },
  );
  app.post(
    "/api/v1/machines/:id/agent-session/policy-check",
    {
      config: { access: "public" },
      schema: {
        summary: "Would the delegation policy allow this purchase now? (dry run, spends nothing)",
        tags: ["pairings"],
        operationId: "checkAgentPolicy",
        params: MachineParams,
        headers,
        body: Check,
        response: {
          200: Type.Object({
            item: Type.Object({
              allowed: Type.Boolean(),
              rails: Type.Optional(Type.Array(Type.String())),
              code: Type.Optional(Type.String()),
              reason: Type.Optional(Type.String()),
              detail: Type.Optional(Type.String()),
            }),
          }),
        },
      },
    },
    async (request) => {
      const token = pairingTokenOf(request);
      const s = await authenticateAgent(modulesOf(ctx), ctx.db.kysely, token, request.params.id, {
        recheck: false,
      });
      const b = request.body;
      const now_ms = ctx.clock.now_ms();
      const asset = b.asset ?? s.pairing.policy.currency ?? undefined;
      const [spent] = asset
        ? (await ctx.delegation.spendOf(ctx.db.kysely, [s.pairing.id], now_ms)).filter(
            (x) => x.asset === asset,
          )
        : [];
      const decision = evaluatePolicy(
        s.pairing.policy,
        {
          skill_key: b.skillKey,
          service_id: b.serviceId,
          provider_key: b.providerKey,
          rails: b.rails,
          ...(asset ? { asset } : {}),
          ...(b.amount !== undefined ? { amount_minor: amountOf(ctx, b.amount, asset) } : {}),
        },
        {
          now_ms,
          spent: {
            day_minor: spent?.day_spent_minor ?? 0n,
            month_minor: spent?.month_spent_minor ?? 0n,
            total_minor: spent?.total_spent_minor ?? 0n,
          },
        },
      );
      return { item: decision };
    },
  );
}

function amountOf(ctx: MachineRouteContext, amount: string, asset: string | undefined): bigint {
  const decimals = ctx.config.assets.find((a) => a.code === asset)?.decimals;
  const minor = decimals === undefined ? null : decimalToMinor(amount, decimals);
  if (minor === null) {
    throw new Problem(kernelProblems.VALIDATION_FAILED, "amount needs a known asset", {
      errors: [{ pointer: "/amount", detail: "at most the asset's decimals, with an asset" }],
    });
  }
  return minor;
}

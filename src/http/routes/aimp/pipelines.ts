import { Type } from "@sinclair/typebox";
import { runPipeline } from "../../../flows/pipeline.ts";
import { minorToDecimal } from "../../../kernel/money.ts";
import { pipelineLimits } from "../../../pipelines/index.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { decimalsOf, minorOf } from "../../wire.ts";
import { findCapability } from "./tools.ts";

const Node = Type.Object(
  {
    id: Type.String({ pattern: "^[A-Za-z0-9_-]{1,40}$" }),
    product_id: Type.String({ maxLength: 80 }),
    capability_id: Type.String({ maxLength: 60 }),
    input: Type.Optional(Type.Unknown()),
    input_from: Type.Optional(Type.String({ maxLength: pipelineLimits.pointer_chars_max })),
    depends_on: Type.Optional(
      Type.Array(Type.String({ maxLength: 40 }), { maxItems: pipelineLimits.nodes_max }),
    ),
  },
  { additionalProperties: false },
);

const Body = Type.Object(
  {
    channel_id: Type.Optional(Type.String({ pattern: "^ch_[0-9a-z]{26}$" })),
    budget: Type.Optional(Type.String({ pattern: "^(0|[1-9][0-9]{0,12})(\\.[0-9]{1,18})?$" })),
    on_failure: Type.Optional(Type.Union([Type.Literal("stop"), Type.Literal("continue")])),
    nodes: Type.Array(Node, { minItems: 1, maxItems: pipelineLimits.nodes_max }),
  },
  { additionalProperties: false },
);

/**
 * AIMP pipelines: a DAG of paid capability calls, checked against the budget (or the channel's
 * balance) before it starts, with a bill of materials signed by the hub.
 */
export default function aimpPipelines(app: App, ctx: AppContext) {
  app.post(
    "/ai-market/pipelines",
    {
      config: { access: "write" },
      schema: {
        summary: "Run a DAG pipeline of capability calls with a signed bill of materials",
        tags: ["ai-market"],
        operationId: "runPipeline",
        security: [{ apiKey: [] }],
        body: Body,
      },
    },
    async (request) => {
      const b = request.body;
      const buyer_id = callerOf(request).principal.id;
      let budget_minor = b.budget ? minorOf(ctx, b.budget, "USDC", "/budget") : null;
      if (b.channel_id) {
        const channel = await ctx.channels.usable(ctx.db.kysely, b.channel_id, buyer_id);
        const account = (await ctx.ledger.accountsOf(ctx.db.kysely, channel.id))[0];
        const left = account?.available_minor ?? 0n;
        budget_minor = budget_minor === null || left < budget_minor ? left : budget_minor;
      }
      const result = await runPipeline(
        {
          db: ctx.db,
          clock: ctx.clock,
          purchases: ctx.purchases,
          fulfilment: ctx.fulfilment,
          resolve: (node) =>
            findCapability(ctx, ctx.db.kysely, node.product_id, node.capability_id),
          signer: async () => (await ctx.keys.signingKey(ctx.db.kysely)).privateKey,
          signBom: (payload) => ctx.keys.signCompact(ctx.db.kysely, "agx-bom+jwt", payload),
          usdOf: (minor, asset) => Number(minorToDecimal(minor, decimalsOf(ctx, asset))),
        },
        {
          nodes: b.nodes,
          budget_minor,
          on_failure: b.on_failure ?? "stop",
          payment: b.channel_id
            ? { rail: "channel", buyer_id, channel_id: b.channel_id }
            : { rail: "prepaid", buyer_id },
        },
      );
      return {
        trace_id: result.trace_id,
        success: result.success,
        steps: result.steps.map((s) => ({
          node_id: s.node_id,
          status: s.status,
          product_id: s.product_id,
          capability_id: s.capability_id,
          order_id: s.order_id,
          receipt_id: s.receipt_id,
          latency_ms: s.latency_ms,
          price_usd: Number(minorToDecimal(s.price_minor, 6)),
          error: s.error,
        })),
        final_result: result.final_result,
        bill_of_materials: result.bill_of_materials,
      };
    },
  );
}

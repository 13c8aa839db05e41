import { Type } from "@sinclair/typebox";
import { discover } from "../../../catalog/index.ts";
import { limits } from "../../../kernel/limits.ts";
import { decimalToMinor, minorToDecimal } from "../../../kernel/money.ts";
import type { App } from "../../app.ts";
import type { AppContext } from "../../context.ts";
import { decimalsOf } from "../../wire.ts";
import { capabilityIdOf } from "./tools.ts";

const Body = Type.Object(
  {
    query: Type.String({ minLength: 1, maxLength: limits.search_query_chars_max }),
    budget_usd: Type.Optional(
      Type.Union([
        Type.Number({ minimum: 0, maximum: 1e9 }),
        Type.String({ pattern: "^[0-9]{1,12}(\\.[0-9]{1,6})?$" }),
      ]),
    ),
    constraints: Type.Optional(
      Type.Object({ max_latency_ms: Type.Optional(Type.Integer({ minimum: 1 })) }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 5 })),
  },
  { additionalProperties: false },
);

/**
 * AIMP discover: a natural-language goal → ranked matches and a plan of steps with draft inputs,
 * within budget_usd and max_latency_ms. Deterministic (lexical + schema aware); an LLM ranker
 * can be plugged into the catalogue's DiscoverRanker interface.
 */
export default function aimpDiscover(app: App, ctx: AppContext) {
  app.post(
    "/ai-market/discover",
    {
      config: { peac: true },
      schema: {
        summary: "Natural-language goal → ranked matches and a plan within budget",
        tags: ["ai-market"],
        operationId: "aiMarketDiscover",
        body: Body,
      },
    },
    async (request) => {
      const b = request.body;
      const asset = "USDC";
      const d = decimalsOf(ctx, asset);
      // A float budget is read through its shortest decimal text, never multiplied as a float.
      const budget =
        b.budget_usd === undefined
          ? null
          : decimalToMinor(
              typeof b.budget_usd === "number" ? String(b.budget_usd) : b.budget_usd,
              d,
            );
      const context = {
        ...(b.constraints?.max_latency_ms ? { max_latency_ms: b.constraints.max_latency_ms } : {}),
      };
      const result = await discover(
        ctx.db.kysely,
        {
          search: (ex, goal) => ctx.catalog.search(ex, goal, {}, context),
          skill: (ex, key) => ctx.catalog.getSkill(ex, key),
        },
        { goal: b.query, budget_minor: budget, limit: b.limit ?? 5 },
      );
      const usd = (minor: bigint | null) =>
        minor === null ? null : Number(minorToDecimal(minor, d));
      const view = (s: (typeof result.plan)[number]) => ({
        product_id: s.service.name,
        capability_id: capabilityIdOf(s.operation, s.service),
        draft_input: s.draft_input,
      });
      return {
        query: b.query,
        matches: result.matches.map((s) => ({
          ...view(s),
          score: s.score,
          price_per_call_usd: usd(s.price_minor),
          why: s.why,
          goal: s.goal,
        })),
        plan: result.plan.map((s) => ({
          step: s.step,
          goal: s.goal,
          ...view(s),
          price_usd: usd(s.price_minor),
        })),
        estimated_total_usd: usd(result.estimated_total_minor),
        skipped: result.skipped,
      };
    },
  );
}

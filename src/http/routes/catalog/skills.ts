import { Type } from "@sinclair/typebox";
import { catalogProblems } from "../../../catalog/index.ts";
import { limits } from "../../../kernel/limits.ts";
import { Problem } from "../../../kernel/problem.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { writeTx } from "../../idempotency.ts";
import { Page, PageQuery } from "../../schemas.ts";
import { SkillBody, SkillKey, SkillWire, skillWire } from "./wire.ts";

/** Publish a skill version; list skills; read one (latest or a given version). */
export default function skillRoutes(app: App, ctx: AppContext) {
  app.post(
    "/api/v1/catalog/skills",
    {
      config: { access: "write" },
      schema: {
        summary: "Publish a skill (a capability contract) or a new version of your own skill",
        tags: ["catalog"],
        operationId: "publishSkill",
        security: [{ apiKey: [] }],
        body: SkillBody,
        response: { 201: SkillWire },
      },
    },
    async (request, reply) => {
      const owner = callerOf(request).principal.id;
      const b = request.body;
      return writeTx(ctx, request, reply, 201, async (tx) =>
        skillWire(
          await ctx.catalog.publishSkill(tx, owner, {
            ...b,
            tags: b.tags ?? [],
            operations: b.operations.map((o) => ({ ...o, examples: o.examples ?? [] })),
          }),
        ),
      );
    },
  );
  app.get(
    "/api/v1/catalog/skills",
    {
      schema: {
        summary: "List skills (latest versions)",
        tags: ["catalog"],
        operationId: "listSkills",
        querystring: PageQuery,
        response: { 200: Page(SkillWire) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? limits.page_size_default;
      const rows = await ctx.catalog.listSkills(
        ctx.db.kysely,
        request.query.cursor ?? null,
        limit + 1,
      );
      const page = rows.slice(0, limit);
      return {
        items: page.map(skillWire),
        next_cursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
      };
    },
  );
  app.get(
    "/api/v1/catalog/skills/:key",
    {
      schema: {
        summary: "Get a skill by key (latest, or ?version=)",
        tags: ["catalog"],
        operationId: "getSkill",
        params: Type.Object({ key: SkillKey }),
        querystring: Type.Object(
          { version: Type.Optional(Type.String({ maxLength: 40 })) },
          { additionalProperties: false },
        ),
        response: { 200: SkillWire },
      },
    },
    async (request) => {
      const { key } = request.params;
      const { version } = request.query;
      const skill = version
        ? await ctx.catalog.getSkill(ctx.db.kysely, key, version)
        : await ctx.catalog.requireSkill(ctx.db.kysely, key);
      if (!skill) {
        throw new Problem(catalogProblems.CATALOG_SKILL_NOT_FOUND, `no skill ${key}@${version}`);
      }
      return skillWire(skill);
    },
  );
}

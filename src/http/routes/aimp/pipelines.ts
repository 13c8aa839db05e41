import { Readable } from "node:stream";
import { Type } from "@sinclair/typebox";
import type { PipelineRequest } from "../../../flows/pipeline.ts";
import { pipelineLimits } from "../../../pipelines/index.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext } from "../../context.ts";
import { DecimalAmount } from "../../schemas.ts";
import { findCapability } from "./tools.ts";

const L = pipelineLimits;
const NodeId = Type.String({ pattern: `^[A-Za-z0-9_-]{1,${L.node_id_chars_max}}$` });
const Reference = Type.String({
  minLength: 1,
  maxLength: L.pointer_chars_max,
  description: "`<node id>` or `<node id>#/json/pointer` into that node's output (RFC 6901)",
});

const Node = Type.Object(
  {
    id: NodeId,
    product_id: Type.String({ minLength: 1, maxLength: L.product_id_chars_max }),
    capability_id: Type.String({ minLength: 1, maxLength: L.capability_id_chars_max }),
    input: Type.Optional(
      Type.Unknown({ description: "The literal input (or the base of fields)" }),
    ),
    input_from: Type.Optional(
      Type.Union([
        Reference,
        Type.Record(Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]{0,63}$" }), Reference, {
          maxProperties: L.input_fields_from_max,
          additionalProperties: false,
          description: "Input fields filled from upstream outputs, over `input`",
        }),
      ]),
    ),
    depends_on: Type.Optional(Type.Array(NodeId, { maxItems: L.nodes_max, uniqueItems: true })),
  },
  { additionalProperties: false },
);

/** A pipeline request (also the MCP `pipeline` tool's input). */
export const PipelineBody = Type.Object(
  {
    channel_id: Type.Optional(Type.String({ pattern: "^ch_[0-9a-z]{26}$" })),
    budget: Type.Optional(DecimalAmount),
    on_failure: Type.Optional(Type.Union([Type.Literal("stop"), Type.Literal("continue")])),
    // A hard edge bound; past nodes_max the DAG check answers PIPELINE_INVALID, naming the limit.
    nodes: Type.Array(Node, { minItems: 1, maxItems: L.nodes_max * 4 }),
  },
  { additionalProperties: false },
);

const JobParams = Type.Object({ id: Type.String({ pattern: "^job_[0-9a-z]{26}$" }) });

/**
 * AIMP pipelines: a DAG of paid capability calls, priced and funded before it starts, run as a
 * job (`/ai-market/jobs/{id}`, with Server-Sent Events) and answered with a bill of materials
 * signed by the hub. Short pipelines answer 200 with the result; long ones (or `Prefer:
 * respond-async`) answer 202 with the job.
 */
export default function aimpPipelines(app: App, ctx: AppContext) {
  app.post(
    "/ai-market/pipelines",
    {
      config: { access: "write" },
      schema: {
        summary: "Run a DAG pipeline of paid capability calls with a signed bill of materials",
        description:
          "Checks the DAG, prices it and moves the quote from your balance (or `channel_id`) " +
          "into a float before any step runs (402 PIPELINE_OVER_BUDGET when it does not fit " +
          "`budget` or the funds); what does not run is refunded when the job ends. Answers 200 " +
          "with the result when it finishes quickly, else 202 with the job; `Prefer: " +
          "respond-async` always answers 202. Send an Idempotency-Key to retry safely.",
        tags: ["ai-market"],
        operationId: "runPipeline",
        security: [{ apiKey: [] }],
        body: PipelineBody,
      },
    },
    async (request, reply) => {
      const b = request.body;
      const spec: PipelineRequest = {
        owner_id: callerOf(request).principal.id,
        nodes: b.nodes,
        on_failure: b.on_failure ?? "stop",
        budget: b.budget ?? null,
        source: b.channel_id ? { kind: "channel", channel_id: b.channel_id } : { kind: "balance" },
        client_key: request.idem?.scope.key ?? null,
      };
      const flows = ctx.pipelineFlows;
      const { job } = await ctx.db.transaction((tx) =>
        flows.submit(tx, spec, (ex, node) =>
          findCapability(ctx, ex, node.product_id, node.capability_id),
        ),
      );
      const prefer = String(request.headers.prefer ?? "");
      const async = b.nodes.length > L.sync_nodes_max || /\brespond-async\b/i.test(prefer);
      if (job.status === "running") {
        void flows.run(job.id);
        if (!async) await flows.wait(job.id, L.sync_wait_ms_max);
      }
      const { page } = await flows.view(ctx.db.kysely, job.id, spec.owner_id);
      if (page.result && !async) return page.result;
      reply.code(202).header("location", page.links.self);
      if (async) reply.header("preference-applied", "respond-async");
      return {
        job_id: page.job_id,
        trace_id: page.trace_id,
        status: page.status,
        progress: page.progress,
        links: page.links,
      };
    },
  );

  app.get(
    "/ai-market/jobs/:id",
    {
      config: { access: "read" },
      schema: {
        summary: "Get a pipeline job: status, progress, steps, and the result once it ended",
        tags: ["ai-market"],
        operationId: "getPipelineJob",
        security: [{ apiKey: [] }],
        params: JobParams,
      },
    },
    async (request) =>
      (
        await ctx.pipelineFlows.view(
          ctx.db.kysely,
          request.params.id,
          callerOf(request).principal.id,
        )
      ).page,
  );

  app.get(
    "/ai-market/jobs/:id/events",
    {
      config: { access: "read" },
      schema: {
        summary: "Follow a pipeline job as Server-Sent Events (text/event-stream)",
        description:
          "Events `step.started`, `step.finished` and `pipeline.completed` (with the result); " +
          "each has an id, so a client resumes with `Last-Event-ID`.",
        tags: ["ai-market"],
        operationId: "streamPipelineJob",
        security: [{ apiKey: [] }],
        params: JobParams,
      },
    },
    async (request, reply) => {
      const last = String(request.headers["last-event-id"] ?? "");
      const after = /^[0-9]{1,9}$/.test(last) ? Number(last) : 0;
      const frames = await ctx.pipelineFlows.events(
        ctx.db.kysely,
        request.params.id,
        callerOf(request).principal.id,
        after,
      );
      return reply
        .type("text/event-stream; charset=utf-8")
        .header("cache-control", "no-cache")
        .header("x-accel-buffering", "no")
        .send(Readable.from(frames));
    },
  );
}

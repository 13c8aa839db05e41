import { Readable } from "node:stream";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Executor } from "../../../db/db.ts";
import type { PipelineRequest } from "../../../flows/pipeline.ts";
import { runPipelineWithX402 } from "../../../flows/pipeline-x402.ts";
import { txProofTermsOf } from "../../../flows/tx-proof.ts";
import { addressOwnerId } from "../../../flows/x402.ts";
import { scopeCovers } from "../../../identity/index.ts";
import { decimalToMinor, minorToDecimal } from "../../../kernel/money.ts";
import { isProblem, Problem } from "../../../kernel/problem.ts";
import { kernelProblems } from "../../../kernel/problems.ts";
import {
  JOB_TOKEN_HEADER,
  ownerByJobToken,
  type PipelineNode,
  pipelineLimits,
  pipelineProblems,
} from "../../../pipelines/index.ts";
import {
  type ChainClients,
  challengeProblem,
  createChainClients,
  type GateRequest,
  x402Problems,
} from "../../../x402/index.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import type { AppContext, HubX402 } from "../../context.ts";
import { DecimalAmount } from "../../schemas.ts";
import { decimalsOf } from "../../wire.ts";
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
const JobHeaders = Type.Object({
  [JOB_TOKEN_HEADER]: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description:
        "The job's access token (`jt_agx_…`), given once to a key-less x402 payer in the 202 " +
        "(`job_token`); instead of an API key, it reads this job and nothing else",
    }),
  ),
});

/**
 * Who may read job `id`: the caller's principal (its key), or, without a key, the owner the
 * job's access token names. No credential is 401; a wrong or expired token is the job's 404.
 */
async function jobOwnerOf(ctx: AppContext, request: FastifyRequest, id: string): Promise<string> {
  if (request.caller) return request.caller.principal.id;
  const token = request.headers[JOB_TOKEN_HEADER];
  if (typeof token !== "string") {
    throw new Problem(
      kernelProblems.UNAUTHENTICATED,
      `send Authorization: Bearer <api key>, or ${JOB_TOKEN_HEADER}: <the job's token>`,
      { headers: { "www-authenticate": 'Bearer realm="agx"' } },
    );
  }
  const owner = await ownerByJobToken(ctx.db.kysely, id, token, ctx.clock.now_ms());
  if (owner === null) {
    throw new Problem(pipelineProblems.PIPELINE_JOB_NOT_FOUND, `no pipeline job ${id} of yours`);
  }
  return owner;
}

/**
 * AIMP pipelines: a DAG of paid capability calls, priced and funded before it starts, run as a
 * job (`/ai-market/jobs/{id}`, with Server-Sent Events) and answered with a bill of materials
 * signed by the hub. Short pipelines answer 200 with the result; long ones (or `Prefer:
 * respond-async`) answer 202 with the job.
 */
export default function aimpPipelines(app: App, ctx: AppContext) {
  const chains = createChainClients({ rpc_urls: txProofTermsOf(ctx.config).rpc_urls });
  app.post(
    "/ai-market/pipelines",
    {
      // A key with write scope, or (when x402 is on) none at all: an x402 payment pays instead.
      config: { access: "public" },
      schema: {
        summary: "Run a DAG pipeline of paid capability calls with a signed bill of materials",
        description:
          "Checks the DAG, prices it and moves the quote from your balance (or `channel_id`) " +
          "into a float before any step runs (402 PIPELINE_OVER_BUDGET when it does not fit " +
          "`budget` or the funds); what does not run is refunded when the job ends. Answers 200 " +
          "with the result when it finishes quickly, else 202 with the job; `Prefer: " +
          "respond-async` always answers 202. Send an Idempotency-Key to retry safely. When the " +
          "hub takes x402, a pipeline priced in its token can instead be paid with " +
          "PAYMENT-SIGNATURE (v2) or X-PAYMENT (v1), with or without a key: unpaid, it answers " +
          "402 with PAYMENT-REQUIRED; paid, it runs to its end, is settled only when a step " +
          "delivered, and answers PAYMENT-RESPONSE. Paid without a key, a 202 (or a 504 " +
          "X402_SETTLEMENT_PENDING) carries `job_token`, shown once: send it as " +
          `\`${JOB_TOKEN_HEADER}\` to read the job.`,
        tags: ["ai-market"],
        operationId: "runPipeline",
        security: [{ apiKey: [] }, {}],
        body: PipelineBody,
      },
    },
    async (request, reply) => {
      const b = request.body;
      const x = ctx.x402;
      const caller = request.caller;
      if (caller && !scopeCovers(caller.key.scope, "write")) {
        throw new Problem(
          kernelProblems.FORBIDDEN,
          `this route needs a write key; this key has ${caller.key.scope}`,
          { headers: { "www-authenticate": 'Bearer realm="agx", error="insufficient_scope"' } },
        );
      }
      if (!caller && (!x || b.channel_id)) {
        throw new Problem(kernelProblems.UNAUTHENTICATED, "send Authorization: Bearer <api key>", {
          headers: { "www-authenticate": 'Bearer realm="agx"' },
        });
      }
      const paying =
        x !== null &&
        !b.channel_id &&
        (request.headers["payment-signature"] ?? request.headers["x-payment"]) !== undefined;
      if (x && (!caller || paying)) {
        const paid = await withX402(ctx, request, reply, { x, chains }, b);
        if (paid !== NOT_X402) return paid;
      }
      try {
        return await withBalance(ctx, request, reply, b);
      } catch (error) {
        // Funds short (not the budget): an x402 payment can still buy the pipeline.
        if (
          x &&
          !b.channel_id &&
          isProblem(error) &&
          error.code === "PIPELINE_OVER_BUDGET" &&
          error.extensions.needed_minor !== undefined
        ) {
          const terms = await x402Terms(ctx, request, x, b);
          if (terms) {
            const challenge = await x.gate.challenge(terms.gate, "Payment required");
            throw new Problem(pipelineProblems.PIPELINE_OVER_BUDGET, error.detail, {
              headers: challenge.headers,
              extensions: { ...error.extensions, ...challenge.body },
            });
          }
        }
        throw error;
      }
    },
  );

  app.get(
    "/ai-market/jobs/:id",
    {
      // A key, or (for a key-less x402 payer) the job's access token: checked by jobOwnerOf.
      config: { access: "public" },
      schema: {
        summary: "Get a pipeline job: status, progress, steps, and the result once it ended",
        description:
          "With the key of the job's owner, or with the job's access token in " +
          `\`${JOB_TOKEN_HEADER}\` (a pipeline paid with x402 without a key answers 202 with ` +
          "`job_token`, shown once). No credential is 401; a wrong or expired token is 404.",
        tags: ["ai-market"],
        operationId: "getPipelineJob",
        security: [{ apiKey: [] }, {}],
        params: JobParams,
        headers: JobHeaders,
      },
    },
    async (request) => {
      const owner_id = await jobOwnerOf(ctx, request, request.params.id);
      return (await ctx.pipelineFlows.view(ctx.db.kysely, request.params.id, owner_id)).page;
    },
  );

  app.get(
    "/ai-market/jobs/:id/events",
    {
      config: { access: "public" },
      schema: {
        summary: "Follow a pipeline job as Server-Sent Events (text/event-stream)",
        description:
          "Events `step.started`, `step.finished` and `pipeline.completed` (with the result); " +
          "each has an id, so a client resumes with `Last-Event-ID`. Authorized as " +
          "`GET /ai-market/jobs/{id}`: the owner's key or the job's access token.",
        tags: ["ai-market"],
        operationId: "streamPipelineJob",
        security: [{ apiKey: [] }, {}],
        params: JobParams,
        headers: JobHeaders,
      },
    },
    async (request, reply) => {
      const last = String(request.headers["last-event-id"] ?? "");
      const after = /^[0-9]{1,9}$/.test(last) ? Number(last) : 0;
      const owner_id = await jobOwnerOf(ctx, request, request.params.id);
      const frames = await ctx.pipelineFlows.events(
        ctx.db.kysely,
        request.params.id,
        owner_id,
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

type Body = Static<typeof PipelineBody>;
const resolverOf = (ctx: AppContext) => (ex: Executor, node: PipelineNode) =>
  findCapability(ctx, ex, node.product_id, node.capability_id);

/** A pipeline paid from the caller's balance or channel (moved into the job's float). */
async function withBalance(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, b: Body) {
  const spec: PipelineRequest = {
    owner_id: callerOf(request).principal.id,
    nodes: b.nodes,
    on_failure: b.on_failure ?? "stop",
    budget: b.budget ?? null,
    source: b.channel_id ? { kind: "channel", channel_id: b.channel_id } : { kind: "balance" },
    client_key: request.idem?.scope.key ?? null,
  };
  const flows = ctx.pipelineFlows;
  const { job } = await ctx.db.transaction((tx) => flows.submit(tx, spec, resolverOf(ctx)));
  const prefer = String(request.headers.prefer ?? "");
  const async = b.nodes.length > L.sync_nodes_max || /\brespond-async\b/i.test(prefer);
  if (job.status === "running") {
    void flows.run(job.id);
    if (!async) await flows.wait(job.id, L.sync_wait_ms_max);
  }
  const { page } = await flows.view(ctx.db.kysely, job.id, spec.owner_id);
  if (page.result && !async) return page.result;
  return accepted(reply, page, async);
}

function accepted(
  reply: FastifyReply,
  page: Awaited<ReturnType<AppContext["pipelineFlows"]["view"]>>["page"],
  async: boolean,
  job_token: string | null = null,
) {
  reply.code(202).header("location", page.links.self);
  if (async) reply.header("preference-applied", "respond-async");
  // The token is a secret shown once: the answer must not be kept by any cache.
  if (job_token) reply.header("cache-control", "no-store");
  return {
    job_id: page.job_id,
    trace_id: page.trace_id,
    status: page.status,
    progress: page.progress,
    links: page.links,
    ...(job_token ? { job_token } : {}),
  };
}

const NOT_X402 = Symbol("not x402");

/** The pipeline's x402 terms: its quote in the hub's token; null when x402 cannot pay it. */
async function x402Terms(ctx: AppContext, request: FastifyRequest, x: HubX402, b: Body) {
  const quote = await ctx.db.transaction((tx) =>
    ctx.pipelineFlows.quote(tx, b.nodes, resolverOf(ctx)),
  );
  if (quote.asset !== x.asset || quote.quoted_minor <= 0n) return null;
  const decimals = decimalsOf(ctx, quote.asset);
  const budget_minor = b.budget === undefined ? null : decimalToMinor(b.budget, decimals);
  if (budget_minor !== null && quote.quoted_minor > budget_minor) {
    throw new Problem(
      pipelineProblems.PIPELINE_OVER_BUDGET,
      `the pipeline is quoted at ${quote.quoted_minor} minor units of ${quote.asset}, ` +
        `above the budget of ${budget_minor}`,
    );
  }
  const gate: GateRequest = {
    headers: request.headers,
    amount_atomic: quote.quoted_minor,
    resource: {
      url: `${ctx.publicUrl()}${request.url}`,
      description: `a pipeline of ${b.nodes.length} paid capability calls`,
      mimeType: "application/json",
    },
  };
  return { gate, quoted_minor: quote.quoted_minor, decimals };
}

/**
 * A pipeline paid with x402 for exactly its quote: 402 with the requirements until paid; then
 * verified, run to its end, settled only when a step delivered (src/flows/pipeline-x402.ts),
 * answered with PAYMENT-RESPONSE. NOT_X402 when x402 cannot pay this pipeline and the caller
 * has a key (the balance pays).
 */
async function withX402(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  rails: { x: HubX402; chains: ChainClients },
  b: Body,
): Promise<unknown> {
  const { x } = rails;
  const terms = await x402Terms(ctx, request, x, b);
  if (!terms) {
    if (request.caller) return NOT_X402;
    throw new Problem(
      kernelProblems.UNAUTHENTICATED,
      "this pipeline cannot be paid with x402 (free, or priced in another asset); send a key",
    );
  }
  const decision = await x.gate.check(terms.gate);
  if (decision.kind === "none" || decision.kind === "invalid") {
    const why = decision.kind === "invalid" ? `x402: ${decision.reason}` : "payment required";
    throw challengeProblem(decision.challenge, x402Problems.X402_PAYMENT_REQUIRED, why);
  }
  if (decision.kind === "refused") throw decision.problem;
  if (decision.kind === "replay") {
    reply.headers(decision.headers);
    return decision.result;
  }
  const payment = decision.payment;
  const owner_id = request.caller
    ? request.caller.principal.id
    : addressOwnerId(payment.network, payment.payer);
  const out = await runPipelineWithX402(
    {
      db: ctx.db,
      ledger: ctx.ledger,
      clock: ctx.clock,
      logger: ctx.logger,
      flows: ctx.pipelineFlows,
      outbox: ctx.outbox,
      chains: rails.chains,
      asset: x.asset,
    },
    {
      request: {
        owner_id,
        nodes: b.nodes,
        on_failure: b.on_failure ?? "stop",
        // The authorization is the most this job may spend: top-ups beyond it are refused.
        budget: minorToDecimal(terms.quoted_minor, terms.decimals),
        source: { kind: "balance" },
        client_key: null,
      },
      payment,
      resolve: resolverOf(ctx),
      // Without a key the payer could not read its job: it gets the job's access token.
      issue_job_token: !request.caller,
    },
  );
  reply.headers(out.headers);
  if (out.page.result) return out.page.result;
  return accepted(reply, out.page, false, out.job_token);
}

import { Readable } from "node:stream";
import { Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";
import { scopeCovers } from "../../../identity/index.ts";
import { Problem } from "../../../kernel/problem.ts";
import { marketLimits, marketProblems } from "../../../market/index.ts";
import type { App } from "../../app.ts";
import { callerOf } from "../../auth.ts";
import { writeTx } from "../../idempotency.ts";
import type { MarketRouteContext } from "./index.ts";
import {
  Attachments,
  attachmentsOf,
  Id,
  MessageWire,
  messageWire,
  ThreadWire,
  threadWire,
} from "./wire.ts";

const Post = Type.Object(
  {
    body: Type.String({ minLength: 1, maxLength: marketLimits.message_chars_max }),
    kind: Type.Optional(Type.Union([Type.Literal("text"), Type.Literal("evidence")])),
    attachments: Type.Optional(Attachments),
  },
  { additionalProperties: false },
);

const Page = Type.Object(
  {
    cursor: Type.Optional(Type.String({ pattern: "^msg_[0-9a-z]{26}$" })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: marketLimits.page_size_max })),
    kind: Type.Optional(
      Type.Union([Type.Literal("text"), Type.Literal("system"), Type.Literal("evidence")]),
    ),
  },
  { additionalProperties: false },
);

const MessageId = Type.String({ pattern: "^msg_[0-9a-z]{26}$" });

/** The caller as a thread sees them: the operator may read and write any thread. */
function who(request: FastifyRequest) {
  const c = callerOf(request);
  return { id: c.principal.id, operator: scopeCovers(c.key.scope, "admin") };
}

/** One shared thread per order: read it, page its messages, follow it live, post to it. */
export default function threadRoutes(app: App, ctx: MarketRouteContext) {
  const common = { tags: ["market"], security: [{ apiKey: [] }] };
  const readable = async (request: FastifyRequest, id: string) => {
    const thread = await ctx.market.threads.get(ctx.db.kysely, id);
    const me = who(request);
    if (me.id !== thread.buyer_id && me.id !== thread.seller_id && !me.operator)
      throw new Problem(marketProblems.MARKET_THREAD_NOT_FOUND, `no thread ${id}`);
    return thread;
  };

  app.get(
    "/api/market/threads/:id",
    {
      config: { access: "read" },
      schema: {
        ...common,
        summary: "An order's thread",
        operationId: "marketGetThread",
        params: Id("thr"),
        response: { 200: ThreadWire },
      },
    },
    async (request) => threadWire(await readable(request, request.params.id)),
  );

  app.get(
    "/api/market/threads/:id/messages",
    {
      config: { access: "read" },
      schema: {
        ...common,
        summary: "A thread's messages, oldest first; pass nextCursor to read on",
        operationId: "marketListMessages",
        params: Id("thr"),
        querystring: Page,
        response: {
          200: Type.Object({
            items: Type.Array(MessageWire),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const thread = await readable(request, request.params.id);
      const q = request.query;
      const page = await ctx.market.threads.list(
        ctx.db.kysely,
        thread.id,
        { after: q.cursor ?? null, ...(q.kind ? { kind: q.kind } : {}) },
        q.limit ?? marketLimits.page_size_default,
      );
      return { items: page.items.map(messageWire), nextCursor: page.next_cursor };
    },
  );

  app.get(
    "/api/market/threads/:id/events",
    {
      config: { access: "read" },
      schema: {
        ...common,
        summary: "Follow a thread live: its new messages as Server-Sent Events",
        description:
          "text/event-stream of `event: message` frames whose data is the message (as in the " +
          "messages list) and whose `id` is the message id. Starts after `Last-Event-ID`, else " +
          "after `after`, else after the thread's newest message. Comments keep an idle stream " +
          "open; a stream ends after five minutes (resume with Last-Event-ID); 503 " +
          "MARKET_THREAD_STREAMS_BUSY when this process serves too many. The thread's parties " +
          "and the operator only; anyone else gets 404.",
        operationId: "marketStreamThread",
        params: Id("thr"),
        querystring: Type.Object(
          { after: Type.Optional(MessageId) },
          { additionalProperties: false },
        ),
        headers: Type.Object({ "last-event-id": Type.Optional(MessageId) }),
      },
    },
    async (request, reply) => {
      const thread = await readable(request, request.params.id);
      const after = request.headers["last-event-id"] ?? request.query.after ?? null;
      const live = await ctx.market.threads.openStream(ctx.db.kysely, thread, after, messageWire);
      reply.raw.on("close", live.close);
      return reply
        .type("text/event-stream; charset=utf-8")
        .header("cache-control", "no-cache")
        .header("x-accel-buffering", "no")
        .send(Readable.from(live.frames));
    },
  );

  app.post(
    "/api/market/threads/:id/messages",
    {
      config: { access: "write" },
      schema: {
        ...common,
        summary: "Post to an order's thread (evidence only while the order is disputed)",
        operationId: "marketPostMessage",
        params: Id("thr"),
        body: Post,
        response: { 201: MessageWire },
      },
    },
    async (request, reply) =>
      writeTx(ctx, request, reply, 201, async (tx) => {
        const b = request.body;
        const message = await ctx.marketFlows.postMessage(tx, request.params.id, who(request), {
          kind: b.kind ?? "text",
          body: b.body,
          attachments: attachmentsOf(b.attachments),
        });
        return messageWire(message);
      }),
  );
}

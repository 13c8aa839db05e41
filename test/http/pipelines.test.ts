import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from "jose";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "../../src/kernel/json.ts";
import { pipelineLimits } from "../../src/pipelines/index.ts";
import { describeStores } from "../support/stores.ts";
import { type PipelineHub, parseSse, startPipelineHub, TEXT, UNITS } from "./pipelines-hub.ts";

const STATS = { product_id: "builtin-text-stats-analyze", capability_id: "analyze@v1" };
const SUMMARY = { product_id: "builtin-text-summarize-summarize", capability_id: "summarize@v1" };
const KEYWORDS = { product_id: "builtin-text-summarize-keywords", capability_id: "keywords@v1" };
const SLUG = { product_id: "builtin-text-slugify-slugify", capability_id: "slugify@v1" };
const KM = { ...UNITS, input: { value: "1", from: "km", to: "m" } };
/** units.convert refuses kg → m only when it runs: a step that is paid, fails and is refunded. */
const FAILING = { ...UNITS, input: { value: "1", from: "kg", to: "m" } };
const digest = (v: unknown) => `sha256:${sha256Hex(canonicalJson(v))}`;
const minor = (steps: { price_minor: string }[]) =>
  steps.reduce((sum, s) => sum + BigInt(s.price_minor), 0n);

describeStores("AIMP pipelines: DAG jobs with a signed bill of materials", (store) => {
  let h: PipelineHub;
  beforeAll(async () => {
    h = await startPipelineHub(store.db);
  });
  afterAll(() => h.close());
  afterEach(async () => {
    const v = await h.t.call("GET", "/api/v1/admin/ledger/verify", { key: h.t.adminKey });
    expect(v.body.failures).toEqual([]);
  });

  it("passes upstream outputs by JSON pointer into downstream inputs and charges exactly", async () => {
    const buyer = await h.agent("1");
    const res = await h.run(buyer.key, {
      budget: "0.5",
      nodes: [
        { id: "sum", ...SUMMARY, input: { text: TEXT, max_sentences: 2 } },
        { id: "kw", ...KEYWORDS, input: { text: TEXT, max_keywords: 3 } },
        { id: "stats", ...STATS, input_from: { text: "sum#/summary" } },
        { id: "slug", ...SLUG, input_from: { text: "kw#/keywords/0/keyword" } },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ success: true, status: "succeeded" });
    expect(res.body.trace_id).toMatch(/^tr_/);
    expect(res.body.steps.map((s: { status: string }) => s.status)).toEqual(
      Array(4).fill("succeeded"),
    );
    // The stats step ran on the summary, the slug step on the first keyword.
    const page = (await h.t.call("GET", `/ai-market/jobs/${res.body.job_id}`, { key: buyer.key }))
      .body;
    expect(page.status).toBe("succeeded");
    const bom = res.body.bill_of_materials;
    const bomOf = (id: string) => bom.steps.find((s: { node_id: string }) => s.node_id === id);
    const summaryOrder = await h.t.call("GET", `/api/v1/market/orders/${bomOf("sum").order_id}`, {
      key: buyer.key,
    });
    expect(summaryOrder.body.status).toBe("confirmed");
    expect(res.body.final_result.stats.words).toBeGreaterThan(5);
    expect(res.body.final_result.slug.slug).toMatch(/^[a-z0-9-]+$/);
    expect(bomOf("stats").output_digest).toBe(digest(res.body.final_result.stats));
    expect(bomOf("slug").output_digest).toBe(digest(res.body.final_result.slug));
    // Money: exactly the steps' prices left the balance; the rest of the float came back.
    const total = minor(res.body.steps);
    expect(total).toBeGreaterThan(0n);
    expect(res.body.total.amount_minor).toBe(String(total));
    expect(BigInt(res.body.refunded.amount_minor)).toBe(BigInt(bom.reserved_minor) - total);
    expect(await h.balance(buyer.key)).toBe(1_000_000n - total);
  });

  it("runs independent branches at the same time, and what joins them after both", async () => {
    const buyer = await h.agent("1");
    h.provider.resetPeak();
    const res = await h.run(buyer.key, {
      nodes: [
        { id: "left", ...h.slow, input: { text: "left" } },
        { id: "right", ...h.slow, input: { text: "right" } },
        { id: "join", ...KM, depends_on: ["left", "right"] },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(h.provider.peak()).toBe(2);
    const events = parseSse(
      String(
        (await h.t.call("GET", `/ai-market/jobs/${res.body.job_id}/events`, { key: buyer.key }))
          .body,
      ),
    );
    const at = (event: string, node: string) =>
      events.findIndex((e) => e.event === event && e.data.node_id === node);
    expect(at("step.started", "join")).toBeGreaterThan(at("step.finished", "left"));
    expect(at("step.started", "join")).toBeGreaterThan(at("step.finished", "right"));
    expect(res.body.final_result).toEqual({
      value: "1000",
      from: "km",
      to: "m",
      category: "length",
      exact: true,
    });
  });

  it("refuses a cycle, an unknown reference and too many nodes with PIPELINE_INVALID", async () => {
    const buyer = await h.agent("1");
    const cycle = await h.run(buyer.key, {
      nodes: [
        { id: "a", ...KM, depends_on: ["b"] },
        { id: "b", ...KM, depends_on: ["a"] },
      ],
    });
    expect(cycle.status).toBe(400);
    expect(cycle.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(cycle.body).toMatchObject({
      code: "PIPELINE_INVALID",
      type: "/problems/PIPELINE_INVALID",
    });
    expect(cycle.body.detail).toMatch(/cycle through a, b/);
    const unknown = await h.run(buyer.key, {
      nodes: [{ id: "a", ...STATS, input_from: { text: "ghost#/summary" } }],
    });
    expect(unknown.body).toMatchObject({ status: 400, code: "PIPELINE_INVALID" });
    expect(unknown.body.errors[0].pointer).toBe("/nodes/0");
    expect(unknown.body.detail).toMatch(/unknown node ghost/);
    const many = Array.from({ length: pipelineLimits.nodes_max + 1 }, (_, i) => ({
      id: `n${i}`,
      ...KM,
    }));
    const tooMany = await h.run(buyer.key, { nodes: many });
    expect(tooMany.body).toMatchObject({ status: 400, code: "PIPELINE_INVALID" });
    expect(tooMany.body.detail).toMatch(/at most 32 nodes/);
    const self = await h.run(buyer.key, { nodes: [{ id: "a", ...KM, depends_on: ["a"] }] });
    expect(self.body.code).toBe("PIPELINE_INVALID");
    const badInput = await h.run(buyer.key, {
      nodes: [{ id: "a", ...UNITS, input: { value: "1", from: "parsec", to: "m" } }],
    });
    expect(badInput.body.code).toBe("QUOTE_INPUT_INVALID");
    expect(badInput.body.errors[0].pointer).toMatch(/^\/nodes\/0\/input/);
    expect(await h.balance(buyer.key)).toBe(1_000_000n);
  });

  it("refuses a pipeline over its budget or its funds with 402 and moves no money", async () => {
    const buyer = await h.agent("1");
    const nodes = [
      { id: "a", ...STATS, input: { text: TEXT } },
      { id: "b", ...KM },
    ];
    const res = await h.run(buyer.key, { budget: "0.0001", nodes });
    expect(res.status).toBe(402);
    expect(res.body).toMatchObject({ code: "PIPELINE_OVER_BUDGET", budget_minor: "100" });
    expect(BigInt(res.body.quoted_minor)).toBeGreaterThan(100n);
    const poor = await h.agent("0.0002");
    const broke = await h.run(poor.key, { nodes });
    expect(broke.status).toBe(402);
    expect(broke.body.code).toBe("PIPELINE_OVER_BUDGET");
    expect(await h.balance(buyer.key)).toBe(1_000_000n);
    expect(await h.balance(poor.key)).toBe(200n);
    const channels = await h.t.call("GET", "/ai-market/channels", { key: buyer.key });
    expect(channels.body.items).toEqual([]);
  });

  it("stops after a failing step: in-flight work finishes, the rest is skipped and refunded", async () => {
    const buyer = await h.agent("1");
    const res = await h.run(buyer.key, {
      on_failure: "stop",
      nodes: [
        { id: "slow", ...h.slow, input: { text: "takes a while" } },
        { id: "bad", ...FAILING },
        { id: "after_slow", ...KM, depends_on: ["slow"] },
        { id: "after_bad", ...KM, depends_on: ["bad"] },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ success: false, status: "failed" });
    const status = (id: string) => h.stepOf(res, id).status;
    expect(["slow", "bad", "after_slow", "after_bad"].map(status)).toEqual([
      "succeeded",
      "failed",
      "skipped",
      "skipped",
    ]);
    const bad = h.stepOf(res, "bad");
    expect(bad.price_minor).toBe("0");
    const order = await h.t.call("GET", `/api/v1/market/orders/${bad.order_id}`, {
      key: buyer.key,
    });
    expect(order.body).toMatchObject({ status: "failed", payment: { status: "refunded" } });
    expect(h.stepOf(res, "after_slow").error).toMatch(/stopped after a failure/);
    const slowPrice = BigInt(h.stepOf(res, "slow").price_minor);
    expect(slowPrice).toBe(10_000n);
    expect(res.body.total.amount_minor).toBe("10000");
    const quoted = BigInt(res.body.quoted.amount_minor);
    expect(BigInt(res.body.refunded.amount_minor)).toBe(quoted - slowPrice);
    expect(await h.balance(buyer.key)).toBe(1_000_000n - slowPrice);
    const bomBad = res.body.bill_of_materials.steps.find(
      (s: { node_id: string }) => s.node_id === "bad",
    );
    expect(bomBad).toMatchObject({ success: false, price_minor: "0", output_digest: null });
    expect(bomBad.input_digest).toBe(digest(FAILING.input));
  });

  it("continues past a failing step: independent branches still run, dependants are skipped", async () => {
    const buyer = await h.agent("1");
    const res = await h.run(buyer.key, {
      on_failure: "continue",
      nodes: [
        { id: "slow", ...h.slow, input: { text: "takes a while" } },
        { id: "bad", ...FAILING },
        { id: "after_slow", ...KM, depends_on: ["slow"] },
        { id: "after_bad", ...KM, depends_on: ["bad"] },
        { id: "unresolved", ...STATS, input_from: { text: "slow#/no/such/field" } },
      ],
    });
    expect(res.status).toBe(200);
    const status = (id: string) => h.stepOf(res, id).status;
    expect(["slow", "bad", "after_slow", "after_bad", "unresolved"].map(status)).toEqual([
      "succeeded",
      "failed",
      "succeeded",
      "skipped",
      "failed",
    ]);
    expect(h.stepOf(res, "unresolved")).toMatchObject({ order_id: null, price_minor: "0" });
    expect(h.stepOf(res, "unresolved").error).toMatch(/^PIPELINE_INPUT_UNRESOLVED/);
    const spent = minor(res.body.steps);
    expect(spent).toBe(10_000n + 100n);
    expect(await h.balance(buyer.key)).toBe(1_000_000n - spent);
    // The sink that ran is the final result; failed sinks are left out.
    expect(res.body.final_result).toEqual({
      after_slow: expect.objectContaining({ value: "1000" }),
    });
  });

  it("pays from a channel and returns the rest of the float to that channel", async () => {
    const buyer = await h.agent("1");
    const opened = await h.t.call("POST", "/ai-market/channel/open", {
      key: buyer.key,
      body: { deposit: "0.5" },
    });
    const channel = opened.body.channel.channel_id as string;
    const res = await h.run(buyer.key, {
      channel_id: channel,
      nodes: [
        { id: "a", ...KM },
        { id: "b", ...STATS, input: { text: TEXT } },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const spent = minor(res.body.steps);
    const list = (await h.t.call("GET", "/ai-market/channels", { key: buyer.key })).body.items;
    const mine = list.find((c: { channel_id: string }) => c.channel_id === channel);
    expect(BigInt(Math.round(Number(mine.balance) * 1e6))).toBe(500_000n - spent);
    expect(await h.balance(buyer.key)).toBe(500_000n);
  });

  it("signs the bill of materials so it verifies against the hub's JWKS, and a tampered one fails", async () => {
    const buyer = await h.agent("1");
    const res = await h.run(buyer.key, {
      nodes: [
        { id: "sum", ...SUMMARY, input: { text: TEXT, max_sentences: 1 } },
        { id: "stats", ...STATS, input_from: { text: "sum#/summary" } },
      ],
    });
    const { signature, ...claims } = res.body.bill_of_materials;
    const jwks = createLocalJWKSet(
      (await h.t.call("GET", "/.well-known/jwks.json")).body as JSONWebKeySet,
    );
    const verified = await compactVerify(signature, jwks);
    expect(verified.protectedHeader).toMatchObject({ alg: "EdDSA", typ: "agx-bom+jwt" });
    const payload = JSON.parse(new TextDecoder().decode(verified.payload));
    expect(payload).toEqual(claims);
    expect(payload).toMatchObject({ trace_id: res.body.trace_id, sub: buyer.id });
    expect(payload.steps.map((s: { receipt_id: string }) => s.receipt_id)).toEqual([
      expect.stringMatching(/^rcpt_/),
      expect.stringMatching(/^rcpt_/),
    ]);
    const receipt = await h.t.call("GET", `/peac/receipts/${payload.steps[0].receipt_id}`);
    expect(receipt.status).toBe(200);
    // Raise the total in the signed payload: the signature no longer verifies.
    const [head, body, sig] = signature.split(".");
    const forged = { ...JSON.parse(Buffer.from(body, "base64url").toString()), total_minor: "1" };
    const tampered = `${head}.${Buffer.from(JSON.stringify(forged)).toString("base64url")}.${sig}`;
    await expect(compactVerify(tampered, jwks)).rejects.toThrow(/signature verification failed/);
  });

  it("runs a long pipeline as a job: 202, polling, Server-Sent Events and a webhook", async () => {
    const buyer = await h.agent("1");
    const hook = await h.t.call("POST", "/api/v1/webhooks", {
      key: buyer.key,
      body: { url: "http://127.0.0.1:9/hooks", event_types: ["pipeline.completed"] },
    });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    const res = await h.run(
      buyer.key,
      {
        nodes: [
          { id: "slow", ...h.slow, input: { text: "async" } },
          { id: "after", ...KM, depends_on: ["slow"] },
        ],
      },
      { prefer: "respond-async" },
    );
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/ai-market/jobs/${res.body.job_id}`);
    expect(res.headers["preference-applied"]).toBe("respond-async");
    expect(res.body).toMatchObject({ status: "running", progress: { nodes: 2 } });
    // The stream follows the job to its end.
    const stream = await h.t.hub.app.inject({
      method: "GET",
      url: `/ai-market/jobs/${res.body.job_id}/events`,
      headers: { authorization: `Bearer ${buyer.key}` },
    });
    expect(stream.statusCode).toBe(200);
    expect(stream.headers["content-type"]).toMatch(/^text\/event-stream/);
    const events = parseSse(stream.body);
    expect(events.map((e) => `${e.event}:${e.data.node_id ?? ""}`)).toEqual([
      "step.started:slow",
      "step.finished:slow",
      "step.started:after",
      "step.finished:after",
      "pipeline.completed:",
    ]);
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => a - b));
    const done = events.at(-1)?.data;
    expect(done.result.bill_of_materials.signature.split(".")).toHaveLength(3);
    const page = await h.t.call("GET", `/ai-market/jobs/${res.body.job_id}`, { key: buyer.key });
    expect(page.body).toMatchObject({ status: "succeeded", progress: { finished: 2 } });
    expect(page.body.result).toEqual(done.result);
    // A client that reconnects with Last-Event-ID gets only what it missed.
    const resumed = await h.t.hub.app.inject({
      method: "GET",
      url: `/ai-market/jobs/${res.body.job_id}/events`,
      headers: {
        authorization: `Bearer ${buyer.key}`,
        "last-event-id": String(events[3]?.id),
      },
    });
    expect(parseSse(resumed.body).map((e) => e.event)).toEqual(["pipeline.completed"]);
    const deliveries = await h.t.call(
      "GET",
      `/api/v1/webhooks/${hook.body.endpoint.id}/deliveries`,
      {
        key: buyer.key,
      },
    );
    expect(deliveries.body.items.map((d: { type: string }) => d.type)).toEqual([
      "pipeline.completed",
    ]);
    const stranger = await h.agent();
    const hidden = await h.t.call("GET", `/ai-market/jobs/${res.body.job_id}`, {
      key: stranger.key,
    });
    expect(hidden.body).toMatchObject({ status: 404, code: "PIPELINE_JOB_NOT_FOUND" });
  });

  it("answers 202 without being asked when a pipeline has more nodes than a request waits for", async () => {
    const buyer = await h.agent("1");
    const nodes = Array.from({ length: pipelineLimits.sync_nodes_max + 1 }, (_, i) => ({
      id: `n${i}`,
      ...KM,
    }));
    const res = await h.run(buyer.key, { nodes });
    expect(res.status).toBe(202);
    const page = await h.until(buyer.key, res.body.job_id, (p) => p.status !== "running");
    expect(page.status).toBe("succeeded");
    expect(await h.balance(buyer.key)).toBe(1_000_000n - 100n * BigInt(nodes.length));
  });

  it("replays a repeated Idempotency-Key with the same result and charges once", async () => {
    const buyer = await h.agent("1");
    const body = { nodes: [{ id: "a", ...STATS, input: { text: TEXT } }] };
    const headers = { "idempotency-key": "pipeline-once" };
    const first = await h.run(buyer.key, body, headers);
    const second = await h.run(buyer.key, body, headers);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(second.body).toEqual(first.body);
    const price = BigInt(first.body.total.amount_minor);
    expect(await h.balance(buyer.key)).toBe(1_000_000n - price);
    const other = await h.run(buyer.key, { ...body, on_failure: "continue" }, headers);
    expect(other.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    // Even without the HTTP record (lost in a crash), the job's own key finds the first job.
    const again = await h.resubmit(buyer.id, body, "pipeline-once");
    expect(again).toEqual({ job_id: first.body.job_id, created: false });
    expect(await h.balance(buyer.key)).toBe(1_000_000n - price);
  });
});

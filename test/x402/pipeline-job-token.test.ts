import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HubX402 } from "../../src/http/context.ts";
import { buyer, post, startX402Chain, type X402Chain } from "../support/x402-chain.ts";
import { startX402Hub, type X402Hub } from "./hub-support.ts";

const chain: X402Chain | null = await startX402Chain();
const run = chain ? describe : describe.skip;
const need = (): X402Chain => chain as X402Chain;

/**
 * A key-less x402 payer whose pipeline outlives its request gets 202 and a job access token,
 * shown once: the token reads that job (status, result, events) and nothing else.
 */
run("job access tokens of key-less x402 payers", () => {
  let h: X402Hub;
  const pipeline = {
    nodes: [
      { id: "a", product_id: "pipe-token", capability_id: "analyze@v1", input: { text: "1" } },
      { id: "b", product_id: "pipe-token", capability_id: "analyze@v1", input: { text: "2" } },
    ],
  };

  beforeAll(async () => {
    h = await startX402Hub(need(), { name: "pipe-token", price: "0.03" });
    // A short authorization lifetime: the hub answers 202 after ~8 s instead of ~50 s.
    const x = h.hub.ctx.x402 as HubX402;
    x.terms.max_timeout_seconds = 18;
  });
  afterAll(async () => {
    await h?.close();
    await chain?.stop();
  });

  it("a key-less x402 payer follows its 202 pipeline job with the job token and nobody else can", async () => {
    const c = need();
    h.setDelayMs(10_000);
    let res: Response;
    try {
      res = await buyer(c, c.accounts.buyer).post(`${h.url}/ai-market/pipelines`, pipeline);
    } finally {
      h.setDelayMs(0);
    }
    expect(res.status).toBe(202);
    expect(res.headers.get("payment-response")).toBeTruthy();
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as {
      job_id: string;
      job_token: string;
      links: { self: string };
    };
    expect(body.job_token).toMatch(/^jt_agx_[A-Za-z0-9_-]{43}$/);
    const job = (headers: Record<string, string>, id = body.job_id) =>
      fetch(`${h.url}/ai-market/jobs/${id}`, { headers });
    const token = { "x-agx-job-token": body.job_token };

    let page: { status: string; result: { success: boolean } | null } = {
      status: "",
      result: null,
    };
    for (let i = 0; i < 100 && page.status !== "succeeded"; i++) {
      const r = await job(token);
      expect(r.status).toBe(200);
      page = (await r.json()) as typeof page;
      if (page.status !== "succeeded") await new Promise((ok) => setTimeout(ok, 200));
    }
    expect(page).toMatchObject({ status: "succeeded", result: { success: true } });
    const events = await fetch(`${h.url}/ai-market/jobs/${body.job_id}/events`, { headers: token });
    expect(events.status).toBe(200);
    expect(await events.text()).toContain("pipeline.completed");

    // No credential: 401. A wrong token, or this token for another job: 404, as for no job.
    const codeOf = async (r: Response) => [r.status, ((await r.json()) as { code: string }).code];
    expect(await codeOf(await job({}))).toEqual([401, "UNAUTHENTICATED"]);
    const wrong = { "x-agx-job-token": `jt_agx_${"A".repeat(43)}` };
    expect(await codeOf(await job(wrong))).toEqual([404, "PIPELINE_JOB_NOT_FOUND"]);
    const other = "job_00000000000000000000000000";
    expect(await codeOf(await job(token, other))).toEqual([404, "PIPELINE_JOB_NOT_FOUND"]);
    // Another principal's key does not read it either.
    const reg = await post(`${h.url}/api/agents/register`, { handle: "snoop" });
    const key = ((await reg.json()) as { apiKey: string }).apiKey;
    expect(await codeOf(await job({ authorization: `Bearer ${key}` }))).toEqual([
      404,
      "PIPELINE_JOB_NOT_FOUND",
    ]);
    // The token is no API key: it grants nothing else.
    const me = await fetch(`${h.url}/api/v1/balances`, {
      headers: { authorization: `Bearer ${body.job_token}`, ...token },
    });
    expect(me.status).toBe(401);
    // It expires with the job.
    const later = Date.now() + 2 * 24 * 60 * 60 * 1000;
    const clock = h.hub.ctx.clock as { now_ms: () => number };
    const real = clock.now_ms;
    clock.now_ms = () => later;
    try {
      expect(await codeOf(await job(token))).toEqual([404, "PIPELINE_JOB_NOT_FOUND"]);
    } finally {
      clock.now_ms = real;
    }
    expect(await h.ledgerOk()).toMatchObject({ ok: true, failures: [] });
  });
});

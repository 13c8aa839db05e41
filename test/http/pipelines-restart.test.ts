import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { manualClock } from "../../src/kernel/clock.ts";
import { describeStores } from "../support/stores.ts";
import { type PipelineHub, startPipelineHub, UNITS } from "./pipelines-hub.ts";

const KM = { ...UNITS, input: { value: "1", from: "km", to: "m" } };

describeStores("AIMP pipeline jobs across a restart", (store) => {
  let h: PipelineHub;
  beforeAll(async () => {
    h = await startPipelineHub(store.db);
  });
  afterAll(() => h.close());
  afterEach(async () => {
    const v = await h.t.call("GET", "/api/v1/admin/ledger/verify", { key: h.t.adminKey });
    expect(v.body.failures).toEqual([]);
  });

  it("runs a job accepted just before a crash once the resume sweep finds it", async () => {
    const buyer = await h.agent("1");
    const nodes = [
      { id: "a", ...KM },
      { id: "b", ...KM, depends_on: ["a"] },
    ];
    // Accepted (job written, quote moved into the float), then the process died: nobody runs it.
    const { job_id } = await h.resubmit(buyer.id, { nodes }, null);
    const before = (await h.t.call("GET", `/ai-market/jobs/${job_id}`, { key: buyer.key })).body;
    expect(before).toMatchObject({ status: "running", progress: { finished: 0 } });
    expect(await h.balance(buyer.key)).toBe(1_000_000n - 200n);
    expect(await h.t.hub.ctx.pipelineFlows.resumeStale()).toBeGreaterThanOrEqual(1);
    const page = await h.until(buyer.key, job_id, (p) => p.status !== "running");
    expect(page.status).toBe("succeeded");
    expect(page.result.bill_of_materials.total_minor).toBe("200");
    expect(await h.balance(buyer.key)).toBe(1_000_000n - 200n);
  });

  it("takes over a job whose hub died mid-call: refunds that call, finishes the rest", async () => {
    const buyer = await h.agent("1");
    const res = await h.run(
      buyer.key,
      {
        on_failure: "continue",
        nodes: [
          { id: "stuck", ...h.hang, input: { text: "never answered in time" } },
          { id: "other", ...KM },
          { id: "after", ...KM, depends_on: ["stuck"] },
        ],
      },
      { prefer: "respond-async" },
    );
    expect(res.status).toBe(202);
    const job_id = res.body.job_id as string;
    const stepStatus = (page: { steps: { node_id: string; status: string }[] }, id: string) =>
      page.steps.find((s) => s.node_id === id)?.status;
    await h.until(
      buyer.key,
      job_id,
      (p) =>
        stepStatus(p, "stuck") === "running" &&
        stepStatus(p, "other") === "succeeded" &&
        h.provider.held() === 1,
    );
    // A second hub on the same database, its clock past the first runner's lease.
    const later = await startPipelineHub(store.db, {
      clock: manualClock(Date.now() + 10 * 60 * 1000),
    });
    try {
      expect(await later.t.hub.ctx.pipelineFlows.resumeStale()).toBe(1);
      const page = await later.until(buyer.key, job_id, (p) => p.status !== "running");
      expect(page.status).toBe("failed");
      expect(page.steps.map((s: { status: string }) => s.status)).toEqual([
        "failed",
        "succeeded",
        "skipped",
      ]);
      const stuck = page.steps[0];
      expect(stuck.error).toMatch(/interrupted while the call was running; refunded/);
      const order = await later.t.call("GET", `/api/v1/market/orders/${stuck.order_id}`, {
        key: buyer.key,
      });
      expect(order.body).toMatchObject({ status: "failed", payment: { status: "refunded" } });
      expect(await h.balance(buyer.key)).toBe(1_000_000n - 100n);
      // The first hub's call answers late: its runner lost the job and changes nothing.
      h.provider.release();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const after = (await h.t.call("GET", `/ai-market/jobs/${job_id}`, { key: buyer.key })).body;
      expect(after).toEqual(page);
      expect(await h.balance(buyer.key)).toBe(1_000_000n - 100n);
    } finally {
      await later.close();
    }
  });
});

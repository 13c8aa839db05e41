import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fuzzRuns, fuzzSeed } from "../../stress/support/fuzz-mutate.ts";
import { rawBreach, rawCases, sendRaw } from "../../stress/support/fuzz-raw.ts";
import {
  describeFailure,
  type FuzzFigures,
  fuzzOperations,
  inject,
} from "../../stress/support/fuzz-run.ts";
import { type FuzzWorld, startFuzzWorld } from "../../stress/support/fuzz-world.ts";

const SEED = fuzzSeed(4_021);
const REQUESTS = fuzzRuns(1_500);

/**
 * The CI-sized HTTP fuzz: schema-aware requests for every operation of /openapi.json, with and
 * without real keys, plus the raw-socket catalogue. `npm run stress:fuzz` is the full run.
 */
describe(`HTTP fuzzing (FUZZ_SEED=${SEED}, ${REQUESTS} requests)`, () => {
  let w: FuzzWorld;
  let port = 0;
  let figures: FuzzFigures;
  const crashes: unknown[] = [];
  const onCrash = (e: unknown) => crashes.push(e);

  beforeAll(async () => {
    process.on("unhandledRejection", onCrash);
    process.on("uncaughtException", onCrash);
    w = await startFuzzWorld();
    port = Number(new URL(await w.t.hub.listen()).port);
    process.stdout.write(`fuzz: FUZZ_SEED=${SEED} FUZZ_RUNS=${REQUESTS}\n`);
    figures = await fuzzOperations({
      app: w.t.hub.app,
      ops: w.ops,
      pools: w.pools,
      protectedIds: w.protectedIds,
      seed: SEED,
      requests: REQUESTS,
    });
  }, 600_000);
  afterAll(async () => {
    process.off("unhandledRejection", onCrash);
    process.off("uncaughtException", onCrash);
    await w?.t.close();
  });

  it("answers every fuzzed request below 500, every 4xx as a problem, without crashing", () => {
    expect(figures.requests).toBe(REQUESTS);
    expect(figures.failures.map(describeFailure)).toEqual([]);
    expect(crashes).toEqual([]);
  });

  it("refuses a body number that overflows to Infinity (regression: it was a 500)", async () => {
    const answer = await inject(w.t.hub.app, {
      method: "POST",
      url: "/capabilities/builtin-text-stats-analyze/analyze@v1/invoke",
      headers: {
        authorization: `Bearer ${w.pools.keys.write}`,
        "content-type": "application/json",
        "idempotency-key": "fuzz-infinity",
      },
      payload: '{"input":{"text":"a","n":1e999}}',
      op: "regression",
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({
      code: "VALIDATION_FAILED",
      errors: [{ pointer: "/input/n" }],
    });
  });

  it("refuses a body nested deeper than the limit (regression: recursive readers overflowed)", async () => {
    const answer = await inject(w.t.hub.app, {
      method: "POST",
      url: "/api/v1/market/orders/ord_00000000000000000000000000/execute",
      headers: {
        authorization: `Bearer ${w.pools.keys.write}`,
        "content-type": "application/json",
        "idempotency-key": "fuzz-deep",
      },
      payload: `${"[".repeat(20_000)}${"]".repeat(20_000)}`,
      op: "regression",
    });
    expect([answer.status, JSON.parse(answer.body).code]).toEqual([400, "VALIDATION_FAILED"]);
  });

  it("answers raw garbage over a socket below 500 and as problems (or hangs up)", async () => {
    const breaches: string[] = [];
    for (const c of rawCases(w.pools.keys)) {
      const result = await sendRaw(port, c.bytes);
      const why = rawBreach(result);
      if (why) breaches.push(`${c.name}: ${why}`);
      if ("answer" in result) expect(result.answer.body).not.toMatch(/root:.*:0:0:/);
    }
    expect(breaches).toEqual([]);
  }, 120_000);
});

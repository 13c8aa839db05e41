/**
 * `npm run stress:fuzz [-- --requests N --seed S --raw N]`: schema-aware fuzzing of every
 * operation of /openapi.json over app.inject (with and without real keys), then the raw-socket
 * catalogue and random byte edits of valid requests over loopback HTTP. Prints the figures and
 * every failure with its seed, batch and index; exits 1 when any request broke the contract
 * (status ≥ 500, a 4xx that is not problem+json) or the process saw an unhandled error.
 */
import fc from "fast-check";
import { mutatedRequestArb, rawBreach, rawCases, rawRequest, sendRaw } from "./support/fuzz-raw.ts";
import { describeFailure, type FuzzFigures, fuzzOperations } from "./support/fuzz-run.ts";
import { startFuzzWorld } from "./support/fuzz-world.ts";

/**
 * Answers written by Fastify's own defaults for requests refused before any hook (Node's HTTP
 * parser, the router): problems once app.ts passes `clientErrorHandler` and `frameworkErrors`.
 */
const EARLY = /FST_ERR_BAD_URL|FST_ERR_MAX_PARAM_LENGTH|"Client Error"|Header Fields Too Large/;
const EARLY_MARK = " [early: needs app.ts wiring]";
function earlyMark(result: Awaited<ReturnType<typeof sendRaw>>): string {
  if (!("answer" in result)) return "";
  const { answer } = result;
  // Node's own bare 400 (no body, no type) for an HTTP/1.1 request without Host.
  const bare = answer.status === 400 && answer.body === "" && !answer.headers["content-type"];
  return bare || EARLY.test(answer.body) ? EARLY_MARK : "";
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) ? v : fallback;
}

const requests = arg("requests", 100_000);
const seed = arg("seed", Math.floor(Math.random() * 2 ** 31));
const rawMutations = arg("raw", 2_000);
const crashes: unknown[] = [];
process.on("unhandledRejection", (e) => crashes.push(e));
process.on("uncaughtException", (e) => crashes.push(e));
// An error of the harness itself (not of the hub) must end the run, not leave it idle.
const fail = (error: unknown) => {
  console.error("stress:fuzz harness error:", error);
  process.exit(2);
};

console.log(`stress:fuzz seed=${seed} requests=${requests} raw=${rawMutations}`);
const w = await startFuzzWorld();
const port = Number(new URL(await w.t.hub.listen()).port);
const started = Date.now();
const figures: FuzzFigures = await fuzzOperations({
  app: w.t.hub.app,
  ops: w.ops,
  pools: w.pools,
  protectedIds: w.protectedIds,
  seed,
  requests,
  onProgress: (f) => {
    if (f.requests % 5_000 < 500) {
      const s = ((Date.now() - started) / 1000).toFixed(0);
      console.log(`  ${f.requests} requests, ${f.failures.length} failures, ${s} s`);
    }
  },
}).catch(fail);

const rawFailures: string[] = [];
let rawSent = 0;
for (const c of rawCases(w.pools.keys)) {
  rawSent += 1;
  const result = await sendRaw(port, c.bytes);
  const why = rawBreach(result);
  if (why) rawFailures.push(`raw "${c.name}": ${why}${earlyMark(result)}`);
}
const base = rawRequest(
  "POST",
  "/api/v1/keys",
  { authorization: `Bearer ${w.pools.keys.write}`, "content-type": "application/json" },
  '{"scope":"read","label":"raw"}',
);
const mutated = fc.sample(mutatedRequestArb(base), { seed, numRuns: rawMutations });
for (const [i, bytes] of mutated.entries()) {
  rawSent += 1;
  const result = await sendRaw(port, bytes, 3_000);
  const why = rawBreach(result);
  if (why) rawFailures.push(`raw mutation seed=${seed} index=${i}: ${why}${earlyMark(result)}`);
}
await w.t.close();

const elapsed_s = (Date.now() - started) / 1000;
const fivexx = Object.entries(figures.by_status)
  .filter(([s]) => Number(s) >= 500)
  .reduce((n, [, c]) => n + c, 0);
console.log("\nstatus counts", JSON.stringify(figures.by_status));
console.log("problem codes", JSON.stringify(figures.by_code));
const shown = new Set<string>();
for (const f of figures.failures) {
  const kind = `${f.reason.slice(0, 24)} ${f.request.op}`;
  if (shown.has(kind)) continue;
  shown.add(kind);
  console.log(describeFailure(f));
}
for (const r of rawFailures.filter((r) => !r.endsWith(EARLY_MARK)).slice(0, 40)) console.log(r);
const earlyInject = figures.failures.filter((f) => EARLY.test(f.answer?.body ?? "")).length;
const earlyRaw = rawFailures.filter((r) => r.endsWith(EARLY_MARK)).length;
console.log(
  [
    "",
    `seed                 ${seed}`,
    `requests (inject)    ${figures.requests}`,
    `requests (raw)       ${rawSent}`,
    `responses >= 500     ${fivexx}`,
    `contract failures    ${figures.failures.length} inject, ${rawFailures.length} raw`,
    `  of which early     ${earlyInject} inject, ${earlyRaw} raw (Fastify defaults before hooks)`,
    `crashes              ${crashes.length}`,
    `elapsed              ${elapsed_s.toFixed(0)} s`,
  ].join("\n"),
);
process.exit(figures.failures.length + rawFailures.length + crashes.length > 0 ? 1 : 0);

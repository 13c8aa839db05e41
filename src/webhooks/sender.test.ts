import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { isProblem, type Problem } from "../kernel/problem.ts";
import { checkOutboundUrl } from "../net/index.ts";
import { type LoopbackServer, startLoopbackServer } from "../net/testing.ts";
import { webhookLimits } from "./limits.ts";
import { createSender } from "./sender.ts";

// The guard itself, counted: the sender may reuse its answer, never skip it.
vi.mock("../net/index.ts", async (actual) => {
  const net = await actual<typeof import("../net/index.ts")>();
  return { ...net, checkOutboundUrl: vi.fn(net.checkOutboundUrl) };
});
const checks = vi.mocked(checkOutboundUrl);

async function problemOf(work: Promise<unknown>): Promise<Problem> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isProblem(error)) throw new Error(`expected a Problem, got ${String(error)}`);
  return error;
}

let server: LoopbackServer;
const seen: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
const hanging: ServerResponse[] = [];

beforeAll(async () => {
  server = await startLoopbackServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      seen.push({ path: req.url ?? "", headers: req.headers, body });
      if (req.url === "/hang") return void hanging.push(res);
      res.writeHead(503, { "retry-after": "7" }).end("busy");
    });
  });
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  await server.close();
});

const options = { allowHosts: ["127.0.0.1"], allowPrivate: false, response_bytes_max: 1024 };

it("sends the body with its length, the Host line and the caller's headers as given", async () => {
  const sender = createSender({ ...options, timeout_ms: 2_000 });
  const body = JSON.stringify({ text: "grüße" });
  const res = await sender.post(`${server.origin}/hooks/a?x=1`, { "webhook-id": "msg_1" }, body);
  sender.close();
  expect(res).toEqual({ status: 503, retry_after: "7" });
  const got = seen.find((s) => s.path === "/hooks/a?x=1");
  expect(got?.body).toBe(body);
  expect(got?.headers).toMatchObject({
    host: `127.0.0.1:${server.port}`,
    "content-length": String(Buffer.byteLength(body)),
    "accept-encoding": "identity",
    "webhook-id": "msg_1",
  });
});

it("reuses a passed check for a few seconds only, and checks a refused URL every time", async () => {
  const sender = createSender({ ...options, timeout_ms: 2_000 });
  const url = `${server.origin}/hooks/b`;
  checks.mockClear();
  await sender.post(url, {}, "{}");
  await sender.post(url, {}, "{}");
  expect(checks).toHaveBeenCalledTimes(1);
  const later = performance.now() + webhookLimits.sender_check_ttl_ms + 1;
  const now = vi.spyOn(performance, "now").mockReturnValue(later);
  await sender.post(url, {}, "{}");
  now.mockRestore();
  expect(checks).toHaveBeenCalledTimes(2);
  const refused = `${server.origin.replace("127.0.0.1", "127.0.0.2")}/hooks/b`;
  for (let i = 0; i < 2; i++) {
    expect((await problemOf(sender.post(refused, {}, "{}"))).code).toBe("NET_URL_BLOCKED");
  }
  expect(checks).toHaveBeenCalledTimes(4);
  sender.close();
});

it("times out a request still waiting for a connection, which is then never sent", async () => {
  const sender = createSender({ ...options, timeout_ms: 300 });
  const before = hanging.length;
  const sockets = webhookLimits.sender_sockets_per_pool_max;
  const started = performance.now();
  const problems = await Promise.all(
    Array.from({ length: sockets + 2 }, () =>
      problemOf(sender.post(`${server.origin}/hang`, {}, "{}")),
    ),
  );
  expect(performance.now() - started).toBeLessThan(2_000);
  expect(new Set(problems.map((p) => p.code))).toEqual(new Set(["NET_FETCH_TIMEOUT"]));
  await new Promise((r) => setTimeout(r, 100));
  sender.close();
  expect(hanging.length - before).toBe(sockets);
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manualClock } from "../kernel/clock.ts";
import { type LoopbackServer, startLoopbackServer } from "../net/testing.ts";
import { type LiveRuntimeEndpoint, parseMachineUrl, runtimeAdapter } from "./runtime.ts";

const MACHINE = "mach_01jzzzzzzzzzzzzzzzzzzzzzzz";
const LIMITS = { timeout_ms: 2_000, max_bytes: 64_000 };

describe("the machine runtime execution adapter", () => {
  let server: LoopbackServer;
  const seen: { authorization: string | undefined; body: string }[] = [];
  beforeAll(async () => {
    server = await startLoopbackServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        seen.push({ authorization: req.headers.authorization, body });
        res.writeHead(200, { "content-type": "application/json" }).end('{"result":{"ok":1}}');
      });
    });
  });
  afterAll(() => server.close());

  const target = (provider_key = "vision") => ({
    service_id: "svc_x",
    endpoints: [{ url: `machine://${MACHINE}/${provider_key}`, method: "POST", protocols: [] }],
    operation: "look",
    input: { at: "door" },
    payment_headers: { Authorization: "Bearer not-the-machines" },
  });
  const adapterFor = (endpoint: Partial<LiveRuntimeEndpoint> | string) =>
    runtimeAdapter(
      manualClock(),
      async () =>
        typeof endpoint === "string"
          ? { ok: false, reason: endpoint }
          : {
              ok: true,
              endpoint: {
                url: `${server.origin}/run`,
                protocol: "http",
                network_scope: "private",
                auth_token: null,
                ...endpoint,
              },
            },
      { public: {}, private: { allowPrivate: true, allowHttp: true } },
    );

  it("reads machine://<machine>/<provider key> and nothing looser", () => {
    expect(parseMachineUrl(`machine://${MACHINE}/vision`)).toEqual({
      machine_id: MACHINE,
      provider_key: "vision",
    });
    expect(parseMachineUrl(`machine://${MACHINE}/vision/extra`)).toBeNull();
    expect(parseMachineUrl("machine://mach_short/vision")).toBeNull();
    expect(parseMachineUrl(`https://${MACHINE}/vision`)).toBeNull();
  });

  it("calls a private endpoint on a loopback address with the endpoint's bearer token only", async () => {
    seen.length = 0;
    const adapter = adapterFor({ auth_token: "s3cret" });
    expect(adapter.accepts(target())).toBe(true);
    const result = await adapter.run(target(), LIMITS);
    expect(result).toMatchObject({ ok: true, value: { ok: 1 }, route: "machine" });
    expect(seen).toEqual([
      { authorization: "Bearer s3cret", body: '{"operation":"look","input":{"at":"door"}}' },
    ]);
  });

  it("refuses a public-scope endpoint that points at a private address, without calling it", async () => {
    seen.length = 0;
    const url = `https://127.0.0.1:${server.port}/run`;
    const result = await adapterFor({ url, network_scope: "public" }).run(target(), LIMITS);
    expect(result).toMatchObject({ ok: false, kind: "unreachable", error: /loopback address/ });
    expect(seen).toEqual([]);
  });

  it("refuses, as unreachable, what the resolver refuses and endpoints that do not speak http", async () => {
    seen.length = 0;
    const lapsed = await adapterFor("runtime endpoint vision is unreachable").run(target(), LIMITS);
    expect(lapsed).toMatchObject({ ok: false, kind: "unreachable", error: /unreachable/ });
    const mqtt = await adapterFor({ protocol: "mqtt" }).run(target(), LIMITS);
    expect(mqtt).toMatchObject({ ok: false, kind: "unreachable" });
    const thrown = await runtimeAdapter(
      manualClock(),
      async () => {
        throw new Error("database gone");
      },
      { public: {}, private: {} },
    ).run(target(), LIMITS);
    expect(thrown).toMatchObject({ ok: false, kind: "unreachable" });
    expect(seen).toEqual([]);
  });
});

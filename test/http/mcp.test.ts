import { request } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { newId } from "../../src/kernel/ids.ts";
import { startTestHub, type TestHub } from "../support/hub.ts";

describe("the MCP server, driven by the SDK's own client over HTTP", () => {
  let t: TestHub;
  let url = "";
  let key = "";
  let client: Client;

  beforeAll(async () => {
    t = await startTestHub();
    url = await t.hub.listen();
    const reg = await t.call("POST", "/api/agents/register", { body: { handle: "mcpagent" } });
    key = reg.body.apiKey;
    await t.call("POST", "/api/v1/admin/deposits", {
      key: t.adminKey,
      body: { id: newId("dep"), owner_id: reg.body.agent.id, amount: "1", asset: "USDC" },
    });
    client = new Client({ name: "test-agent", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${key}` } },
      }),
    );
  });
  afterAll(async () => {
    await client?.close();
    await t.close();
  });

  it("lists the core tools and one tool per catalogue capability with its input schema", async () => {
    const { tools } = await client.listTools();
    const names = tools.map((x) => x.name);
    for (const n of ["search", "quote", "invoke", "order_status", "pipeline", "balance"])
      expect(names).toContain(n);
    const stats = tools.find((x) => x.name === "builtin-text-stats-analyze.analyze_v1");
    expect(stats?.inputSchema).toMatchObject({ type: "object", required: ["text"] });
  });

  it("searches, invokes a capability tool that pays from the balance, and reports the order", async () => {
    const found = await client.callTool({
      name: "search",
      arguments: { query: "word count statistics", input: { text: "a b c" } },
    });
    expect(found.isError).toBeFalsy();
    const call = await client.callTool({
      name: "builtin-text-stats-analyze.analyze_v1",
      arguments: { text: "one two three" },
    });
    expect(call.isError).toBeFalsy();
    const out = call.structuredContent as {
      result: { words: number };
      order_id: string;
      receipt: { signature: unknown };
    };
    expect(out.result.words).toBe(3);
    expect(out.receipt.signature).toBeTruthy();
    expect(String(call._meta?.["org.peacprotocol/receipt_ref"])).toMatch(/^sha256:[0-9a-f]{64}$/);
    const status = await client.callTool({
      name: "order_status",
      arguments: { order_id: out.order_id },
    });
    expect((status.structuredContent as { order: { status: string } }).order.status).toBe(
      "confirmed",
    );
    const balance = await client.callTool({ name: "balance", arguments: {} });
    expect(
      (balance.structuredContent as { accounts: { available_minor: string }[] }).accounts[0]
        ?.available_minor,
    ).not.toBe("1000000");
  });

  it("runs a pipeline tool: one step feeds the next, with a signed bill of materials", async () => {
    const run = await client.callTool({
      name: "pipeline",
      arguments: {
        budget: "0.5",
        nodes: [
          {
            id: "slug",
            product_id: "builtin-text-slugify-slugify",
            capability_id: "slugify@v1",
            input: { text: "Agents Trade Skills" },
          },
          {
            id: "stats",
            product_id: "builtin-text-stats-analyze",
            capability_id: "analyze@v1",
            input_from: { text: "slug#/slug" },
          },
        ],
      },
    });
    expect(run.isError, JSON.stringify(run.structuredContent)).toBeFalsy();
    const out = run.structuredContent as {
      status: string;
      final_result: Record<string, unknown>;
      bill_of_materials: { steps: unknown[]; jws?: string };
    };
    expect(out.status).toBe("succeeded");
    expect(out.bill_of_materials.steps).toHaveLength(2);
    const bad = await client.callTool({
      name: "pipeline",
      arguments: {
        nodes: [
          {
            id: "a",
            product_id: "builtin-text-stats-analyze",
            capability_id: "analyze@v1",
            depends_on: ["b"],
          },
          {
            id: "b",
            product_id: "builtin-text-stats-analyze",
            capability_id: "analyze@v1",
            depends_on: ["a"],
          },
        ],
      },
    });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.structuredContent)).toContain("PIPELINE_INVALID");
  });

  it("answers invalid arguments and unknown tools with isError problems, not protocol failures", async () => {
    const bad = await client.callTool({
      name: "builtin-text-stats-analyze.analyze_v1",
      arguments: { text: 42 },
    });
    expect(bad.isError).toBe(true);
    expect((bad.structuredContent as { code: string }).code).toBe("VALIDATION_FAILED");
    const none = await client.callTool({ name: "no_such_tool", arguments: {} });
    expect((none.structuredContent as { code: string }).code).toBe("NOT_FOUND");
  });

  it("serves the signed manifest and receipts as resources", async () => {
    const manifest = await client.readResource({ uri: "agx://manifest" });
    const doc = JSON.parse(String((manifest.contents[0] as { text: string }).text));
    expect(doc.signature.algorithm).toBe("ed25519");
    const templates = await client.listResourceTemplates();
    expect(templates.resourceTemplates[0]?.uriTemplate).toBe("agx://receipts/{id}");
  });

  it("answers an unknown resource with the MCP code -32002, not an internal error", async () => {
    const read = client.readResource({ uri: "agx://receipts/rcpt_00000000000000000000000000" });
    await expect(read).rejects.toMatchObject({ code: -32002 });
    await expect(client.readResource({ uri: "test://nothing" })).rejects.toMatchObject({
      code: -32002,
    });
  });

  it("refuses a foreign Origin or Host (DNS rebinding) and takes its own", async () => {
    const call = (headers: Record<string, string>) =>
      fetch(`${url}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${key}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...headers,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
      });
    const evil = await call({ origin: "http://evil.example.com" });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { code: string }).code).toBe("FORBIDDEN");
    // fetch cannot set Host; node:http can.
    const hostStatus = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${url}/mcp`,
        {
          method: "POST",
          headers: {
            host: "evil.example.com",
            authorization: `Bearer ${key}`,
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }));
    });
    expect(hostStatus).toBe(403);
    expect((await call({ origin: new URL(url).origin })).status).toBe(200);
    expect((await call({ origin: "http://localhost:1234" })).status).toBe(200);
  });

  it("lets a caller without a key in (x402 payers have none)", async () => {
    const res = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(200);
  });

  it("answers GET /mcp without Accept: text/event-stream with a 406 problem", async () => {
    const get = await fetch(`${url}/mcp`, { headers: { authorization: `Bearer ${key}` } });
    expect(get.status).toBe(406);
    expect(get.headers.get("content-type")).toContain("application/problem+json");
    expect(((await get.json()) as { code: string }).code).toBe("NOT_ACCEPTABLE");
  });

  it("tells a connected client when the catalogue's tools change (notifications/tools/list_changed)", async () => {
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      changed += 1;
    });
    // The SDK client opened its GET stream right after initialize (in beforeAll), and the hub
    // read the tool list then: the publish below is a change against that list.
    const seller = await t.call("POST", "/api/agents/register", { body: { handle: "mcpseller" } });
    const published = await t.call("POST", "/api/v1/catalog/services", {
      key: seller.body.apiKey,
      body: {
        name: "fresh-tool",
        version: "1.0.0",
        skill_key: "text.stats",
        description: "a tool published while a client listens",
        company_name: "Tests",
        execution_mode: "native",
        endpoints: [{ url: "https://provider.example/run", method: "POST" }],
        pricing: { model: "fixed", asset: "USDC", amount: "0.01" },
        rails: ["agx-ledger"],
      },
    });
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    await vi.waitFor(() => expect(changed).toBeGreaterThan(0), { timeout: 15_000, interval: 200 });
    const { tools } = await client.listTools();
    expect(tools.map((x) => x.name)).toContain("fresh-tool.analyze_v1");
  });
});

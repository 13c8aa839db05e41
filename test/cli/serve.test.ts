import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";

// Each case spawns the CLI (a TypeScript loader start); on a loaded machine that takes seconds.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

import { ConfigError, loadConfig } from "../../src/config.ts";

const bin = new URL("../../bin/agx.js", import.meta.url).pathname;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? "", AGX_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += String(d);
  });
  child.stderr?.on("data", (d) => {
    stderr += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /listening on (http:\/\/\S+)/.exec(stdout);
      if (m?.[1]) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 25);
    void exited.then(() => {
      clearInterval(timer);
      reject(new Error(`exited early: ${stderr}`));
    });
  });
  url.catch(() => {}); // awaited by tests that expect a start; others only watch the exit
  return { child, url, exited, out: () => stdout, err: () => stderr };
}

describe("agx serve", () => {
  it("starts on any free port with --port 0, serves /health and /openapi.json, stops on SIGTERM", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "agx-cli-"));
    const p = run(["serve", "--port", "0", "--data-dir", dataDir]);
    const url = await p.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${url}/health`)).json()).toMatchObject({ status: "ok" });
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { openapi: string };
    expect(doc.openapi).toBe("3.1.0");
    expect(p.out()).toMatch(/Operator admin key \(shown once.*\n\s+sk_agx_/);
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);

    // A second start on the same data directory keeps the operator and prints no key.
    const again = run(["serve"], { AGX_PORT: "0", AGX_DATA_DIR: dataDir });
    await again.url;
    expect(again.out()).not.toContain("sk_agx_");
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
  });

  it("refuses to start in production without an https public URL", async () => {
    const p = run(["serve", "--port", "0"], { AGX_ENV: "production" });
    expect(await p.exited).toBe(2);
    expect(p.err()).toContain("AGX_PUBLIC_URL");
  });
});

describe("configuration", () => {
  it("layers defaults, environment and flags, with flags winning", () => {
    const c = loadConfig({
      env: { AGX_PORT: "9000", DATABASE_URL: "postgres://x@db/agx" },
      cwd: tmpdir(),
      overrides: { port: 0 },
    });
    expect(c.port).toBe(0);
    expect(c.database_url).toBe("postgres://x@db/agx");
  });

  it("rejects a bad port, a non-postgres DATABASE_URL and a weak admin key", () => {
    expect(() => loadConfig({ env: { AGX_PORT: "99999" }, cwd: tmpdir() })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { DATABASE_URL: "mysql://x" }, cwd: tmpdir() })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ env: { AGX_ADMIN_KEY: "hunter2" }, cwd: tmpdir() })).toThrow(
      ConfigError,
    );
  });

  it("refuses x402 without a way to settle, and a malformed gas key", () => {
    const pay = { AGX_X402_PAY_TO: `0x${"11".repeat(20)}` };
    const load = (env: Record<string, string>) => () => loadConfig({ env, cwd: tmpdir() });
    expect(load(pay)).toThrow(/AGX_X402_RPC_URL/);
    expect(
      load({ ...pay, AGX_X402_RPC_URL: "http://127.0.0.1:8545", AGX_X402_GAS_KEY: "0x12" }),
    ).toThrow(/GAS_KEY/);
    expect(load({ ...pay, AGX_X402_FACILITATOR: "ftp://x" })).toThrow(/FACILITATOR/);
    expect(
      load({ ...pay, AGX_X402_FACILITATOR: "https://facilitator.example.com" })(),
    ).toMatchObject({ x402_facilitator: "https://facilitator.example.com" });
  });

  it("refuses production without a secret key for keys at rest", () => {
    const env = { AGX_ENV: "production", AGX_PUBLIC_URL: "https://hub.example" };
    expect(() => loadConfig({ env, cwd: tmpdir() })).toThrow(/AGX_SECRET_KEY/);
  });

  it("accepts production with an https public URL and a secret key", () => {
    const c = loadConfig({
      env: {
        AGX_ENV: "production",
        AGX_PUBLIC_URL: "https://hub.example",
        AGX_SECRET_KEY: "s".repeat(32),
        AGX_PAIRING_TOKEN_SECRET: "p".repeat(32),
      },
      cwd: tmpdir(),
    });
    expect(c.env).toBe("production");
  });
});

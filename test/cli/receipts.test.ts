import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";

// Each case spawns the CLI (a TypeScript loader start); on a loaded machine that takes seconds.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

import { loadConfig } from "../../src/config.ts";
import { createHub } from "../../src/main.ts";

const bin = new URL("../../bin/agx.js", import.meta.url).pathname;
const agx = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", AGX_LOG_LEVEL: "warn" },
  });

describe("agx receipt, receipt keys and deposit commands", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "agx-cli-rcpt-"));
  let jws = "";
  let jwksFile = "";

  beforeAll(async () => {
    const hub = await createHub(
      loadConfig({ env: {}, overrides: { data_dir: dataDir, log_level: "silent" } }),
    );
    const { ctx } = hub;
    jws = (
      await ctx.db.transaction((tx) => ctx.receipts.issue(tx, { kind: "decision", subject: "s" }))
    ).jws;
    const res = await hub.app.inject({ method: "GET", url: "/.well-known/jwks.json" });
    jwksFile = join(dataDir, "jwks.json");
    writeFileSync(jwksFile, res.body);
    await hub.close();
  });

  it("verifies a receipt against the hub's keys and exits 0", () => {
    const r = agx(["receipt", "verify", jws, "--data-dir", dataDir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("valid peac-0.9 receipt");
  });

  it("exits 1 naming the code for a tampered receipt, also offline against a JWKS file", () => {
    const [h, p] = jws.split(".");
    const r = agx(["receipt", "verify", `${h}.${p}.${"A".repeat(86)}`, "--jwks", jwksFile]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("RECEIPT_SIGNATURE_INVALID");
    expect(agx(["receipt", "verify", jws, "--jwks", jwksFile]).status).toBe(0);
  });

  it("credits a principal with agx deposit, exactly once per transfer id", async () => {
    const hub = await createHub(
      loadConfig({ env: {}, overrides: { data_dir: dataDir, log_level: "silent" } }),
    );
    const op = await hub.ctx.identity.principalByHandle(hub.ctx.db.kysely, "operator");
    await hub.close();
    const args = ["deposit", op?.id ?? "", "12.5", "--id", "dep-cli-1", "--data-dir", dataDir];
    const first = agx(args);
    expect(first.stdout).toContain("created dep-cli-1: 12.500000 USDC");
    expect(agx(args).stdout).toContain("exists dep-cli-1");
    expect(agx(["deposit", op?.id ?? "", "1.0000001", "--data-dir", dataDir]).status).toBe(2);
    expect(agx(["ledger", "verify", "--data-dir", dataDir]).status).toBe(0);
  });

  it("rotates keys, and receipts of the retired key still verify", () => {
    const before = agx(["receipt", "keys", "list", "--data-dir", dataDir]).stdout;
    const rotated = agx(["receipt", "keys", "rotate", "--data-dir", dataDir]);
    expect(rotated.status).toBe(0);
    const active = /active\s+(rk_\S+)/.exec(rotated.stdout)?.[1];
    expect(before).toContain(`${active}  next`);
    expect(agx(["receipt", "verify", jws, "--data-dir", dataDir]).status).toBe(0);
  });
});

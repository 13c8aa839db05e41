import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PeacCliIo, registerPeacCommands } from "../cli/peac.ts";
import { type LoopbackServer, startLoopbackServer } from "../net/testing.ts";

// Lives here rather than beside src/cli/peac.ts so `vitest run src/policy` covers the CLI.

class Aborted extends Error {
  constructor(readonly code: number) {
    super(`aborted with ${code}`);
  }
}

/** Runs `agx peac …` in process and returns what it wrote and its exit code. */
async function peac(...args: string[]) {
  let out = "";
  let err = "";
  let exitCode: number | null = null;
  const io: PeacCliIo = {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    setExitCode: (code) => {
      exitCode = code;
    },
    abort: (code) => {
      throw new Aborted(code);
    },
  };
  const program = new Command("agx");
  registerPeacCommands(program, io);
  try {
    await program.parseAsync(["peac", ...args], { from: "user" });
  } catch (error) {
    if (!(error instanceof Aborted)) throw error;
    exitCode = error.code;
  }
  return { out, err, code: exitCode };
}

const dir = mkdtempSync(join(tmpdir(), "agx-peac-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

let server: LoopbackServer;
beforeAll(async () => {
  server = await startLoopbackServer((req, res) => {
    if (req.url === "/peac.txt") return void res.end('version: "peac-policy/0.1"\nusage: open\n');
    res.statusCode = 404;
    res.end();
  });
});
afterAll(() => server.close());

describe("agx peac init", () => {
  it("prints a seed-format peac.txt that validates as PEAC 0.9.14", async () => {
    const init = await peac("init");
    expect(init.code).toBe(0);
    expect(init.out).toContain("version: 0.9.14\n");
    const checked = await peac("validate", file("seed.txt", init.out));
    expect(checked).toMatchObject({ code: 0, err: "" });
    expect(checked.out).toMatch(/^Valid PEAC 0\.9\.14 policy/);
  });

  it("writes a file with --out and refuses to overwrite it without --force", async () => {
    const out = join(dir, "policy.txt");
    expect((await peac("init", "--format", "policy", "--out", out)).code).toBe(0);
    expect(readFileSync(out, "utf8")).toContain('version: "peac-policy/0.1"');
    const again = await peac("init", "--format", "policy", "--out", out);
    expect(again.code).toBe(2);
    expect(again.err).toContain("--force");
    expect((await peac("init", "--out", out, "--force")).code).toBe(0);
    expect(readFileSync(out, "utf8")).toContain("version: 0.9.14");
  });

  it("exits 2 on an unknown format", async () => {
    const result = await peac("init", "--format", "toml");
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/toml/);
  });
});

describe("agx peac validate", () => {
  it("exits 1 with the codes and pointer of an invalid document", async () => {
    const result = await peac("validate", file("bad.txt", 'version: "0.1"\nusage: open\n'));
    expect(result.code).toBe(1);
    expect(result.err).toContain("at /version [POLICY_INVALID / E_POLICY_INVALID]");
  });

  it("prints warnings of a valid document", async () => {
    const path = file("warn.txt", 'version: "peac-policy/0.1"\nusage: open\nextra: 1\n');
    const result = await peac("validate", path);
    expect(result.code).toBe(0);
    expect(result.out).toContain("[unknown_field]");
  });

  it("pins a format with --format", async () => {
    const path = file("pinned.txt", "version: 0.9.14\nusage: open\n");
    expect((await peac("validate", path, "--format", "policy")).code).toBe(1);
  });

  it("exits 2 when the file cannot be read or the argument is missing", async () => {
    expect((await peac("validate", join(dir, "missing.txt"))).code).toBe(2);
    expect((await peac("validate")).code).toBe(2);
  });

  it("refuses a localhost URL without --allow-local and fetches it with it", async () => {
    const blocked = await peac("validate", `${server.origin}/`);
    expect(blocked.code).toBe(2);
    expect(blocked.err).toContain("E_POLICY_INSECURE_SCHEME");
    const allowed = await peac("validate", "--allow-local", `${server.origin}/`);
    expect(allowed).toMatchObject({ code: 0, err: "" });
    expect(allowed.out).toBe(`Valid peac-policy/0.1 policy (${server.origin}/peac.txt)\n`);
  });

  it("keeps other private hosts closed under --allow-local", async () => {
    const result = await peac("validate", "--allow-local", "http://10.0.0.1/");
    expect(result.code).toBe(2);
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { agx, shellWords } from "../cli/harness.ts";
import { type ListeningHub, startListeningHub } from "./support.ts";

const repo = new URL("../../", import.meta.url).pathname;
const doc = readFileSync(join(repo, "docs/agents.md"), "utf8");

/** The fenced block right after `<!-- snippet: name -->` in docs/agents.md. */
function snippet(name: string): string {
  const at = doc.indexOf(`<!-- snippet: ${name} -->`);
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(doc.slice(at));
  if (at < 0 || !block?.[1]) throw new Error(`docs/agents.md has no snippet ${name}`);
  return block[1];
}

describe("the snippets of docs/agents.md, run against a hub on 127.0.0.1", () => {
  let h: ListeningHub;
  let dir = "";
  let env: Record<string, string>;
  beforeAll(async () => {
    h = await startListeningHub();
    const a = await h.agent("2");
    env = { AGX_URL: h.url, AGX_KEY: a.key };
    vi.stubEnv("AGX_URL", h.url);
    vi.stubEnv("AGX_KEY", a.key);
    // Inside the checkout, so bare imports resolve to its node_modules.
    dir = mkdtempSync(join(repo, "test/sdk/.snippet-"));
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
    await h.close();
  });

  async function runTs(name: string): Promise<string[]> {
    const file = join(dir, `${name}.ts`);
    const code = snippet(name).replaceAll('"../src/sdk/index.ts"', `"${repo}src/sdk/index.ts"`);
    writeFileSync(file, code);
    const lines: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    });
    try {
      await import(file);
    } finally {
      log.mockRestore();
    }
    return lines;
  }

  it("the SDK snippet searches, invokes, verifies the receipts and reads a 402", async () => {
    const lines = await runTs("sdk");
    expect(lines).toContain("5");
    expect(lines.at(-1)).toMatch(/^Payment is required 0\.\d+ USDC$/);
  });

  it("the MCP snippet calls a capability tool and gets its result and order", async () => {
    const lines = await runTs("mcp");
    expect(lines).toEqual([expect.stringMatching(/^5 ord_[0-9a-z]{26}$/)]);
  });

  it("every line of the CLI snippet runs and exits 0", async () => {
    const lines = snippet("cli").trim().split("\n");
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      const [command, ...args] = shellWords(line);
      expect(command).toBe("agx");
      const r = await agx(args, env);
      expect(r.code, `${line}\n${r.err}`).toBe(0);
      expect(r.out.length, line).toBeGreaterThan(0);
    }
  });
});

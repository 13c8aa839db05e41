import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type ListeningHub, startListeningHub } from "./support.ts";

// tsc over the SDK and a node child: seconds on a loaded machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
const sdk = join(root, "src/sdk");
const manifest = JSON.parse(readFileSync(join(sdk, "package.json"), "utf8")) as {
  name: string;
  type: string;
  exports: { ".": { types: string; import: string } };
  dependencies: Record<string, string>;
  files: string[];
};

describe("src/sdk as the @agx/client package", () => {
  const tmp = mkdtempSync(join(tmpdir(), "agx-client-pkg-"));
  const pkg = join(tmp, "pkg");
  let h: ListeningHub;
  beforeAll(async () => {
    h = await startListeningHub();
    mkdirSync(pkg);
    await run(process.execPath, [
      join(root, "node_modules/typescript/bin/tsc"),
      "-p",
      join(sdk, "tsconfig.build.json"),
      "--outDir",
      join(pkg, "dist"),
    ]);
    cpSync(join(sdk, "package.json"), join(pkg, "package.json"));
    // What `npm install @agx/client` would lay out: the package and its one dependency.
    mkdirSync(join(pkg, "node_modules"));
    symlinkSync(join(root, "node_modules/jose"), join(pkg, "node_modules/jose"));
    mkdirSync(join(tmp, "app/node_modules/@agx"), { recursive: true });
    symlinkSync(pkg, join(tmp, "app/node_modules/@agx/client"));
  });
  afterAll(async () => {
    await h?.close();
  });

  it("names itself @agx/client, an ES module whose exports point at built files", () => {
    expect(manifest).toMatchObject({
      name: "@agx/client",
      type: "module",
      files: ["dist", "README.md"],
    });
    expect(Object.keys(manifest.dependencies)).toEqual(["jose"]);
    for (const file of [manifest.exports["."].types, manifest.exports["."].import]) {
      expect(existsSync(join(pkg, file)), file).toBe(true);
    }
  });

  it("works from plain JavaScript by its package name against a hub", async () => {
    const app = join(tmp, "app/main.mjs");
    writeFileSync(
      app,
      `import { AgxClient, AgxProblem, paginate } from "@agx/client";
const anon = new AgxClient({ url: process.env.AGX_URL });
const reg = await anon.registerAgent({ handle: "pkg" + Date.now().toString(36) });
const me = anon.as({ apiKey: reg.apiKey });
await me.createKey({ scope: "read", label: "from-the-package" });
const labels = (await me.keys()).items.map((k) => k.label);
let refused = "";
try { await anon.balances(); } catch (e) { refused = e instanceof AgxProblem ? e.code : "?"; }
const pages = [];
for await (const n of paginate(async (c) => ({ items: [Number(c ?? 0)], next_cursor: c ? null : "1" }))) pages.push(n);
console.log(JSON.stringify({ labels, refused, pages }));
`,
    );
    const { stdout } = await run(process.execPath, [app], {
      env: { PATH: process.env.PATH ?? "", AGX_URL: h.url },
    });
    expect(JSON.parse(stdout)).toEqual({
      labels: expect.arrayContaining(["from-the-package"]),
      refused: "UNAUTHENTICATED",
      pages: [0, 1],
    });
  });

  it("imports nothing outside its folder but jose and node builtins", () => {
    for (const file of [
      "client",
      "index",
      "money",
      "pagination",
      "problem",
      "receipts",
      "shopper",
      "transport",
      "types",
    ]) {
      const text = readFileSync(join(sdk, `${file}.ts`), "utf8");
      for (const m of text.matchAll(/from "([^"]+)"/g)) {
        expect(m[1], `${file}.ts`).toMatch(/^(\.\/[\w.-]+\.ts|jose|node:\w+)$/);
      }
    }
  });
});

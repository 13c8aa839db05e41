/**
 * Regenerates src/sdk/openapi.gen.ts from a throwaway in-process hub's OpenAPI document:
 * `node bin/run-ts.js src/sdk/gen/generate.ts`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../config.ts";
import { createHub } from "../../main.ts";
import { generateOperationTypes, type OpenApiDocument } from "./openapi-to-ts.ts";

export const GENERATED_FILE = new URL("../openapi.gen.ts", import.meta.url);

/** The OpenAPI document of a fresh hub on a temporary SQLite file. */
export async function hubOpenApiDocument(): Promise<OpenApiDocument> {
  const data_dir = mkdtempSync(join(tmpdir(), "agx-openapi-"));
  const config = loadConfig({
    env: {},
    overrides: { env: "test", log_level: "silent", port: 0, data_dir, workers: false },
  });
  const hub = await createHub(config);
  try {
    const res = await hub.app.inject({ method: "GET", url: "/openapi.json" });
    if (res.statusCode !== 200) throw new Error(`GET /openapi.json answered ${res.statusCode}`);
    return JSON.parse(res.body) as OpenApiDocument;
  } finally {
    await hub.close();
    rmSync(data_dir, { recursive: true, force: true });
  }
}

if (process.argv[2] && import.meta.url.endsWith(process.argv[2].replace(/^\.?\/?/, ""))) {
  const text = generateOperationTypes(await hubOpenApiDocument());
  writeFileSync(GENERATED_FILE, text);
  process.stdout.write(`wrote ${GENERATED_FILE.pathname} (${text.length} chars)\n`);
}

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
export const WEB_DIST = join(repo, "web", "dist");
export const ARTIFACTS_DIR = fileURLToPath(new URL("../artifacts/", import.meta.url));

/** Where Debian's chromium lives (or AGX_CHROMIUM); null when it is not installed. */
export function chromiumPath(): string | null {
  const candidates = [process.env.AGX_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  return candidates.find((p): p is string => p !== undefined && existsSync(p)) ?? null;
}

/**
 * Whether the browser suites run: without chromium they are skipped with a visible message on a
 * laptop, but CI (CI=true) must have it (.ci/run installs it), so there it is a failure.
 */
export function browserAvailability(): { path: string } | { skip: string } {
  const path = chromiumPath();
  if (path) return { path };
  const why = "chromium is not installed (apt-get install -y chromium, or set AGX_CHROMIUM)";
  if (process.env.CI) throw new Error(`The console e2e suite needs chromium in CI: ${why}`);
  process.stderr.write(`\n⚠ ${why}: the console browser tests are SKIPPED.\n\n`);
  return { skip: why };
}

export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking"];

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return latest;
}

/** Builds the console unless web/dist is newer than every source file of it. */
export function ensureConsoleBuilt(): void {
  const index = join(WEB_DIST, "index.html");
  const sources = Math.max(
    newest(join(repo, "web", "src")),
    statSync(join(repo, "web", "index.html")).mtimeMs,
    statSync(join(repo, "web", "vite.config.ts")).mtimeMs,
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(
    process.execPath,
    [
      join(repo, "node_modules", "vite", "bin", "vite.js"),
      "build",
      "--config",
      "web/vite.config.ts",
    ],
    { cwd: repo, stdio: "inherit", timeout: 180_000 },
  );
}

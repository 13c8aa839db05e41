/**
 * The benchmark report (issue #12, item 7): every section's headline figures as one table —
 * figure, agx, same-run baseline, ratio, target — written to bench/results/latest.md, with a chart
 * of how far each figure is from its target (bench/results/latest.svg, and latest.png when
 * Debian's chromium is there to render it). Targets are the issues' own words.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";

/** A bound from an issue: on the figure itself or on its ratio to the baseline. */
export interface Target {
  on: "value" | "ratio";
  op: ">=" | "<=";
  n: number;
}

export interface Figure {
  section: string;
  name: string;
  unit: string;
  agx: number;
  /** The same-run baseline, and what it is. */
  baseline: number | null;
  baseline_label: string;
  targets: Target[];
}

/** agx / baseline, or null where there is no baseline. */
export const ratioOf = (f: Figure) =>
  f.baseline !== null && f.baseline > 0 && Number.isFinite(f.agx) ? f.agx / f.baseline : null;

/** achieved / required for one target (1 or more: met), in the target's own direction. */
function progress(f: Figure, t: Target): number | null {
  const x = t.on === "value" ? f.agx : ratioOf(f);
  if (x === null || !Number.isFinite(x) || x <= 0) return null;
  return t.op === ">=" ? x / t.n : t.n / x;
}

/** The worst progress over a figure's targets (null: no target, or not measurable). */
export function score(f: Figure): number | null {
  const all = f.targets.map((t) => progress(f, t));
  if (!all.length || all.some((p) => p === null)) return null;
  return Math.min(...(all as number[]));
}

const num = (x: number) =>
  !Number.isFinite(x)
    ? "-"
    : Math.abs(x) >= 100
      ? Math.round(x).toLocaleString("en-US")
      : x.toFixed(x >= 10 ? 1 : 2);

const targetText = (f: Figure) =>
  f.targets.map(
    (t) => `${t.op === ">=" ? "≥" : "≤"} ${t.n}${t.on === "ratio" ? "×" : ` ${f.unit}`}`,
  );

/** The report as Markdown. */
export function reportMarkdown(figures: Figure[], started: Date, seconds: number): string {
  const lines = [
    "# agx benchmark report",
    "",
    `Written by \`npm run bench\` on ${started.toISOString()} in ${seconds.toFixed(0)} s: node ` +
      `${process.version}, ${availableParallelism()} CPUs, load average at the end ` +
      `${loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")}. Every baseline ran in the same run on the same machine; other work on ` +
      "the box moves absolute figures more than ratios. The sections' own tables (printed by " +
      "the run) say what each baseline is and how it was measured.",
    "",
    "| section | figure | agx | baseline | ratio | target | met |",
    "|---|---|---:|---:|---:|---|:---:|",
  ];
  for (const f of figures) {
    const r = ratioOf(f);
    const s = score(f);
    lines.push(
      `| ${f.section} | ${f.name} | ${num(f.agx)} ${f.unit} | ` +
        `${f.baseline === null ? "-" : `${num(f.baseline)} ${f.unit} (${f.baseline_label})`} | ` +
        `${r === null ? "-" : `${r.toFixed(2)}×`} | ${targetText(f).join(", ") || "-"} | ` +
        `${s === null ? (f.targets.length ? "?" : "") : s >= 1 ? "yes" : "**no**"} |`,
    );
  }
  const withTarget = figures.filter((f) => f.targets.length);
  const met = withTarget.filter((f) => (score(f) ?? 0) >= 1).length;
  lines.push("", `${met} of ${withTarget.length} figures with a target meet it.`, "");
  return lines.join("\n");
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A horizontal bar per targeted figure: achieved / required on a log scale, 1 = the target. */
export function reportSvg(figures: Figure[]): string {
  const rows = figures.filter((f) => f.targets.length);
  const rowH = 22;
  const left = 420;
  const barW = 460;
  const top = 46;
  const width = left + barW + 80;
  const height = top + rows.length * rowH + 40;
  // log10 scale from 1/100 to 10: the target line sits at 2/3 of the bar width.
  const lo = -2;
  const hi = 1;
  const xOf = (p: number) =>
    left + ((Math.min(Math.max(Math.log10(p), lo), hi) - lo) / (hi - lo)) * barW;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `font-family="DejaVu Sans, Arial, sans-serif" font-size="12" role="img">`,
    "<title>agx benchmarks: achieved / target per figure</title>",
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="20" font-size="15" font-weight="bold">agx benchmarks: achieved / target ` +
      `(log scale; right of the line = met)</text>`,
  ];
  for (const [i, tick] of [0.01, 0.1, 1, 10].entries()) {
    const x = xOf(tick);
    parts.push(
      `<line x1="${x}" y1="${top - 8}" x2="${x}" y2="${height - 30}" ` +
        `stroke="${tick === 1 ? "#222" : "#ddd"}" stroke-width="${tick === 1 ? 2 : 1}"/>`,
      `<text x="${x}" y="${height - 14}" text-anchor="middle" fill="#555">${tick}×</text>`,
    );
    void i;
  }
  rows.forEach((f, i) => {
    const y = top + i * rowH;
    const s = score(f);
    const label = esc(`${f.section}: ${f.name}`).slice(0, 64);
    parts.push(`<text x="${left - 8}" y="${y + 14}" text-anchor="end">${label}</text>`);
    if (s === null) {
      parts.push(`<text x="${left + 4}" y="${y + 14}" fill="#888">not measured</text>`);
      return;
    }
    const x = xOf(s);
    const colour = s >= 1 ? "#2e7d32" : "#c62828";
    parts.push(
      `<rect x="${left}" y="${y + 3}" width="${Math.max(1, x - left)}" height="${rowH - 8}" ` +
        `fill="${colour}" opacity="0.85"/>`,
      `<text x="${Math.min(x, left + barW) + 4}" y="${y + 14}" fill="#333">${s.toFixed(2)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** Renders the SVG to PNG with Debian's chromium through playwright-core, when it is there. */
async function renderPng(svg: string, file: string): Promise<string | null> {
  const executablePath = process.env.AGX_CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(executablePath)) return `no chromium at ${executablePath}: PNG not written`;
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath,
    args: ["--headless", "--no-sandbox", "--disable-background-networking"],
  });
  try {
    const page = await browser.newPage();
    await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
    await page.locator("svg").screenshot({ path: file });
    return null;
  } finally {
    await browser.close();
  }
}

/** Writes latest.md, latest.svg and (when chromium is there) latest.png; returns a summary line. */
export async function writeReport(
  figures: Figure[],
  started: Date,
  seconds: number,
  dir = join(new URL(".", import.meta.url).pathname, "results"),
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "latest.md"), reportMarkdown(figures, started, seconds));
  const svg = reportSvg(figures);
  writeFileSync(join(dir, "latest.svg"), svg);
  const pngNote = await renderPng(svg, join(dir, "latest.png")).catch(
    (e: unknown) => `PNG not written: ${String((e as Error).message ?? e).slice(0, 200)}`,
  );
  return `report: ${join(dir, "latest.md")}, latest.svg${pngNote ? ` (${pngNote})` : ", latest.png"}`;
}

import type { ClientCliIo } from "./hub-client.ts";

const SGR = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39] };
export type Style = keyof typeof SGR;

/** Wraps text in a colour when the io colours (a TTY without NO_COLOR), else returns it as is. */
export function paint(io: Pick<ClientCliIo, "colour">, style: Style, text: string): string {
  if (!io.colour) return text;
  const [on, off] = SGR[style];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

/** A status word coloured by what it means: green done, red failed, yellow in between. */
export function statusText(io: Pick<ClientCliIo, "colour">, status: string): string {
  if (/^(active|confirmed|succeeded|delivered|ok|live|valid|enabled)$/.test(status)) {
    return paint(io, "green", status);
  }
  if (/(fail|dead|revoked|blocked|disabled|archived|invalid|refused)/.test(status)) {
    return paint(io, "red", status);
  }
  return paint(io, "yellow", status);
}

/** A progress line on stderr: redrawn in place on a terminal, one line per change otherwise. */
export interface Progress {
  update(text: string): void;
  done(text?: string): void;
}

const FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
export const PROGRESS_FRAME_MS = 100;

/** Starts a progress indicator (silent with `quiet`, e.g. under --json). */
export function startProgress(io: ClientCliIo, label: string, quiet = false): Progress {
  if (quiet) return { update() {}, done() {} };
  if (!io.errIsTty) {
    let last = "";
    const line = (text: string) => {
      if (text !== last) io.err(`… ${label}: ${text}\n`);
      last = text;
    };
    return { update: line, done: (text) => text && line(text) };
  }
  let text = "";
  let frame = 0;
  const draw = () => {
    frame = (frame + 1) % FRAMES.length;
    io.err(`\r\u001b[2K${FRAMES[frame]} ${label}${text ? `: ${text}` : ""}`);
  };
  const timer = setInterval(draw, PROGRESS_FRAME_MS);
  timer.unref();
  draw();
  return {
    update(next) {
      text = next;
      draw();
    },
    done(final) {
      clearInterval(timer);
      io.err(`\r\u001b[2K${final ? `✓ ${label}: ${final}\n` : ""}`);
    },
  };
}

/** `[#####-----] 5/10` for counted work. */
export function bar(done: number, total: number, width = 20): string {
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}`;
}

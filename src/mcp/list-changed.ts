import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { mcpLimits } from "./limits.ts";

/**
 * Tells open `GET /mcp` streams when the tool list changed (`notifications/tools/list_changed`).
 * The list is read from the database, so a service published through any hub process counts;
 * it is polled only while a stream is open. Each stream's server is added on open and removed on
 * close; `full()` bounds them.
 */
export function createToolListWatcher(fingerprint: () => Promise<string>) {
  const servers = new Set<Server>();
  let timer: NodeJS.Timeout | null = null;
  let last: string | null = null;
  let busy = false;

  async function tick(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      const now = await fingerprint();
      if (last !== null && now !== last) {
        for (const s of servers) void s.sendToolListChanged().catch(() => {});
      }
      last = now;
    } catch {
      // A failed read (database busy, shutting down) is retried at the next tick.
    } finally {
      busy = false;
    }
  }

  return {
    full: () => servers.size >= mcpLimits.streams_max,
    async add(server: Server): Promise<void> {
      servers.add(server);
      if (timer) return;
      last = null;
      await tick();
      timer = setInterval(() => void tick(), mcpLimits.tools_poll_interval_ms);
      timer.unref();
    },
    remove(server: Server): void {
      servers.delete(server);
      if (servers.size === 0 && timer) {
        clearInterval(timer);
        timer = null;
      }
    },
    close(): void {
      servers.clear();
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}

export type ToolListWatcher = ReturnType<typeof createToolListWatcher>;

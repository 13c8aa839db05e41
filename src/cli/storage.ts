import { Option } from "commander";
import { ConfigError, type ConfigOverrides } from "../config.ts";

/** Flags every command that opens the hub's storage accepts. */
export interface StorageFlags {
  port?: string;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
}

/** Fresh Option objects (commander options must not be shared between commands). */
export function storageOptions(): Option[] {
  return [
    new Option("--data-dir <dir>", "where the embedded SQLite database lives (AGX_DATA_DIR)"),
    new Option("--database-url <url>", "postgres://… to use PostgreSQL (DATABASE_URL)"),
  ];
}

/** Command-line flags as configuration overrides (they win over env and file). */
export function overridesOf(flags: StorageFlags): ConfigOverrides {
  const out: ConfigOverrides = {};
  if (flags.port !== undefined) {
    const port = Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new ConfigError(`--port must be 0–65535, got "${flags.port}"`);
    }
    out.port = port;
  }
  if (flags.host !== undefined) out.host = flags.host;
  if (flags.dataDir !== undefined) out.data_dir = flags.dataDir;
  if (flags.databaseUrl !== undefined) out.database_url = flags.databaseUrl;
  return out;
}

/**
 * The hub's composition root (every module: seconds to load through the TypeScript loader).
 * Loaded only by commands that open the hub's storage, so hub-client commands start fast.
 */
export const loadHub = () => import("../main.ts");

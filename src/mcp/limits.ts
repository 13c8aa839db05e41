/** Bounds of the MCP server. */
export const mcpLimits = {
  /** Open `GET /mcp` notification streams per hub process; past it, 429. */
  streams_max: 64,
  /** How often the tool list is re-read while a notification stream is open. */
  tools_poll_interval_ms: 3_000,
} as const;

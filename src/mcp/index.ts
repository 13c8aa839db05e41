export { type McpActor, mcpActorOf } from "./actor.ts";
export { mcpLimits } from "./limits.ts";
export { createToolListWatcher, type ToolListWatcher } from "./list-changed.ts";
export { handleMcp, handleMcpStream, toolListFingerprint } from "./server.ts";
export { type AgxTool, toolNameOf } from "./tools.ts";

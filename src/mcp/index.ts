export { type McpActor, mcpActorOf } from "./actor.ts";
export { handleMcp } from "./server.ts";
export { type AgxTool, toolNameOf } from "./tools.ts";

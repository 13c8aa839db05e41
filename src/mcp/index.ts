export { handleMcp } from "./server.ts";
export { type AgxTool, toolNameOf } from "./tools.ts";

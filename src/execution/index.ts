export {
  builtinAdapter,
  createExecutor,
  type ExecutionAdapter,
  type ExecutionResult,
  type ExecutionTarget,
  type Executor as ServiceExecutor,
  httpAdapter,
  type ProviderCall,
  postToProvider,
} from "./execution.ts";
export {
  type LiveRuntimeEndpoint,
  MACHINE_URL_SCHEME,
  type MachineEndpointRef,
  parseMachineUrl,
  type RuntimeResolution,
  type RuntimeResolver,
  runtimeAdapter,
} from "./runtime.ts";

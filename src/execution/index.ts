export {
  builtinAdapter,
  createExecutor,
  type ExecutionAdapter,
  type ExecutionResult,
  type ExecutionTarget,
  type Executor as ServiceExecutor,
  httpAdapter,
} from "./execution.ts";

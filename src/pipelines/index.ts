export {
  type PipelineNode,
  pipelineLimits,
  pipelineProblems,
  prerequisites,
  readPointer,
  topologicalOrder,
} from "./dag.ts";
export { type NodeOutcome, runDag, type StepReport } from "./run.ts";

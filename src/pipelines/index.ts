export { BOM_TYP, type BomClaims, bomClaims, moneyOf, stepWire } from "./bom.ts";
export {
  parseReference,
  prerequisites,
  readPointer,
  resolveInput,
  sinksOf,
  topologicalOrder,
} from "./dag.ts";
export { type EventSource, jobEvents, sseFrame } from "./events.ts";
export {
  issueJobToken,
  JOB_TOKEN_HEADER,
  JOB_TOKEN_PREFIX,
  ownerByJobToken,
} from "./job-tokens.ts";
export { pipelineLimits } from "./limits.ts";
export { isFinished, nextStepStatus, type StepEvent, stepTransitions } from "./machine.ts";
export { pipelineMigrations } from "./migrations.ts";
export type {
  FailurePolicy,
  FundingSource,
  JobStatus,
  PipelineEvent,
  PipelineJob,
  PipelineNode,
  PipelineStep,
  StepStatus,
} from "./model.ts";
export { createPipelines, type Pipelines, type RunnerRef, type StepPatch } from "./pipelines.ts";
export { pipelineProblems } from "./problems.ts";
export { type DagHooks, type Gate, runDag, type Settled } from "./run.ts";

import { defineProblems } from "../kernel/problem.ts";

/** Problem codes of pipelines; each has docs/problems/<CODE>.md. */
export const pipelineProblems = defineProblems({
  PIPELINE_INVALID: { status: 400, title: "The pipeline is not a valid DAG" },
  PIPELINE_OVER_BUDGET: { status: 402, title: "The pipeline's quoted price exceeds the budget" },
  PIPELINE_INPUT_UNRESOLVED: { status: 422, title: "A node's input_from does not resolve" },
  PIPELINE_JOB_NOT_FOUND: { status: 404, title: "The pipeline job does not exist" },
});

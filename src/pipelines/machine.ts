import type { StepStatus } from "./model.ts";

/** What may happen to a step. */
export type StepEvent = "start" | "skip" | "refuse" | "succeed" | "fail";

/**
 * The life of a step, as data: pending → running → succeeded | failed, or pending → skipped
 * (never started: the policy stopped the job, a prerequisite failed, the deadline passed) or
 * pending → failed (refused before payment: its input did not resolve or was not accepted).
 */
export const stepTransitions: Readonly<
  Record<StepStatus, Readonly<Partial<Record<StepEvent, StepStatus>>>>
> = {
  pending: { start: "running", skip: "skipped", refuse: "failed" },
  running: { succeed: "succeeded", fail: "failed" },
  succeeded: {},
  failed: {},
  skipped: {},
};

/** The status after `event`, or null when the step may not take it. */
export function nextStepStatus(from: StepStatus, event: StepEvent): StepStatus | null {
  return stepTransitions[from][event] ?? null;
}

/** True when a step will not change any more. */
export function isFinished(status: StepStatus): boolean {
  return Object.keys(stepTransitions[status]).length === 0;
}

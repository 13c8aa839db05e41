import { describe, expect, it } from "vitest";
import { isFinished, nextStepStatus, type StepEvent, stepTransitions } from "./machine.ts";
import type { StepStatus } from "./model.ts";

const statuses = Object.keys(stepTransitions) as StepStatus[];
const events: StepEvent[] = ["start", "skip", "refuse", "succeed", "fail"];
const allowed: Record<string, StepStatus> = {
  "pending:start": "running",
  "pending:skip": "skipped",
  "pending:refuse": "failed",
  "running:succeed": "succeeded",
  "running:fail": "failed",
};

describe("the step state machine", () => {
  it("allows exactly the listed transitions and forbids every other pair", () => {
    for (const from of statuses) {
      for (const event of events) {
        expect(nextStepStatus(from, event), `${from} --${event}-->`).toBe(
          allowed[`${from}:${event}`] ?? null,
        );
      }
    }
  });

  it("ends in succeeded, failed or skipped and nowhere else", () => {
    expect(statuses.filter(isFinished)).toEqual(["succeeded", "failed", "skipped"]);
  });
});

import type { Logger } from "../kernel/logger.ts";

/** A periodic background task (outbox delivery, hold expiry, purges). */
export interface Task {
  name: string;
  interval_ms: number;
  /** Returns how much work it did; a full batch makes it run again at once. */
  run(): Promise<number>;
}

/**
 * Runs tasks on their intervals, one run of a task at a time. `stop()` waits for running work,
 * which is how graceful shutdown stops workers before closing the database.
 */
export function startTasks(tasks: Task[], logger: Logger) {
  let stopped = false;
  const running = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();

  function schedule(task: Task, delay_ms: number): void {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const run = (async () => {
        let again = false;
        try {
          again = (await task.run()) > 0;
        } catch (error) {
          logger.error({ err: error, task: task.name }, "background task failed");
        }
        schedule(task, again ? 0 : task.interval_ms);
      })();
      running.add(run);
      void run.finally(() => running.delete(run));
    }, delay_ms);
    timer.unref();
    timers.add(timer);
  }

  for (const task of tasks) schedule(task, task.interval_ms);

  return {
    async stop(): Promise<void> {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...running]);
    },
  };
}

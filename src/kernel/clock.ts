/** A source of "now" that tests can drive, so deadline tests never sleep. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now_ms(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now_ms: () => Date.now() };

/** A clock that moves only when told to. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

/** Creates a manual clock starting at `start_ms`. */
export function manualClock(start_ms = Date.UTC(2026, 0, 1)): ManualClock {
  let current = start_ms;
  return {
    now_ms: () => current,
    advance: (ms) => {
      current += ms;
    },
    set: (ms) => {
      current = ms;
    },
  };
}

/** ISO-8601 text of a millisecond timestamp, for the wire. */
export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * A screen for regular expressions from untrusted schemas. V8's backtracking engine can take
 * exponential time on a nested quantifier such as `(a+)+` and there is no way to interrupt a
 * synchronous match, so we refuse the classic shape before compiling it.
 *
 * This is a heuristic, not a proof: it catches star height above one (a repeated group that
 * itself repeats), not every overlap between alternatives such as `(a|a)*`. Input sizes are
 * bounded as the second line of defence.
 */
export function hasNestedQuantifier(source: string): boolean {
  // For each open group: whether something inside it repeats.
  const groups: boolean[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source.charAt(i);
    if (c === "\\") {
      i = afterAtom(source, i + 2, groups);
    } else if (c === "[") {
      i = afterAtom(source, endOfClass(source, i), groups);
    } else if (c === "(") {
      groups.push(false);
      i++;
    } else if (c === ")") {
      const innerRepeats = groups.pop() ?? false;
      const quantifier = repeatingQuantifierAt(source, i + 1);
      if (innerRepeats && quantifier > 0) return true;
      markRepeats(groups, innerRepeats || quantifier > 0);
      i += 1 + quantifier;
    } else {
      i = afterAtom(source, i + 1, groups);
    }
  }
  return false;
}

// After an atom ending at `end`: consumes a quantifier, noting in the open group that it repeats.
function afterAtom(source: string, end: number, groups: boolean[]): number {
  const quantifier = repeatingQuantifierAt(source, end);
  markRepeats(groups, quantifier > 0);
  return end + quantifier;
}

function markRepeats(groups: boolean[], repeats: boolean): void {
  const top = groups.length - 1;
  if (repeats && top >= 0) groups[top] = true;
}

const BRACES = /^\{(\d+)(,(\d*))?\}/;

/**
 * Length of a quantifier at `at` that allows more than one repetition (`*`, `+`, `{2}`,
 * `{1,}`, `{0,5}`), else 0. `?` and `{0,1}` repeat at most once and are harmless.
 */
export function repeatingQuantifierAt(source: string, at: number): number {
  const c = source.charAt(at);
  if (c === "*" || c === "+") return 1;
  if (c !== "{") return 0;
  const match = BRACES.exec(source.slice(at, at + 24));
  if (match === null) return 0;
  const min = Number(match[1]);
  const unbounded = match[2] !== undefined && match[3] === "";
  const max = match[2] === undefined ? min : Number(match[3]);
  return unbounded || max > 1 ? match[0].length : 0;
}

// Index just past the `]` closing the character class that opens at `start`.
function endOfClass(source: string, start: number): number {
  let i = start + 1;
  while (i < source.length) {
    const c = source.charAt(i);
    if (c === "\\") i += 2;
    else if (c === "]") return i + 1;
    else i++;
  }
  return i;
}

/** JSON.parse keeps the last of duplicate keys without a word; PEAC-TXT.md §5.3 rejects them. */

interface Frame {
  /** Keys seen so far; null for an array. */
  keys: Set<string> | null;
  pointer: string;
  expectingKey: boolean;
  lastKey: string;
  index: number;
}

/** Escapes a key for a JSON pointer (RFC 6901). */
export function escapePointer(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

function childPointer(frame: Frame | undefined): string {
  if (frame === undefined) return "";
  const step = frame.keys === null ? String(frame.index) : escapePointer(frame.lastKey);
  return `${frame.pointer}/${step}`;
}

/** Index of the quote closing the string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i;
}

/**
 * The JSON pointer of the first repeated key of an object, or null. Expects text that
 * JSON.parse accepted, so the scan only tracks nesting and keys; it never recurses.
 */
export function findDuplicateJsonKey(text: string): string | null {
  const frames: Frame[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    const top = frames.at(-1);
    if (ch === '"') {
      const end = stringEnd(text, i);
      if (top?.keys && top.expectingKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return `${top.pointer}/${escapePointer(key)}`;
        top.keys.add(key);
        top.expectingKey = false;
        top.lastKey = key;
      }
      i = end + 1;
      continue;
    }
    if (ch === "{" || ch === "[") {
      const isObject = ch === "{";
      frames.push({
        keys: isObject ? new Set() : null,
        pointer: childPointer(top),
        expectingKey: isObject,
        lastKey: "",
        index: 0,
      });
    } else if (ch === "}" || ch === "]") {
      frames.pop();
    } else if (ch === "," && top !== undefined) {
      if (top.keys === null) top.index += 1;
      else top.expectingKey = true;
    }
    i += 1;
  }
  return null;
}

/**
 * Keys repeated inside one JSON object. JSON.parse keeps the last one and says nothing, so a config with
 * "port" twice silently uses the second: a problem to report, with where both are. A single pass over
 * text that JSON.parse has already accepted (so it is well-formed and the scan can be simple); it runs
 * on every file of every start, hence char codes and indexOf rather than a tokenizer.
 */
import type { Problem } from './problems.ts';
import type { Position } from './read-json.ts';

export interface DuplicateKey {
  /** JSON pointer of the repeated property. */
  readonly pointer: string;
  readonly key: string;
  /** The repeated key (the one JSON.parse keeps). */
  readonly at: Position;
  /** Where the key first appears in the same object. */
  readonly first: Position;
}

interface Container {
  readonly pointer: string;
  /** Object: key → where it was seen. Array: undefined. */
  readonly keys: Map<string, Position> | undefined;
  /** Object: the next string is a key. */
  expectKey: boolean;
  /** Object: the key whose value comes next. Array: the index of the next element. */
  current: string | number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

/** Every repeated key, in source order. `text` must be valid JSON. */
export function findDuplicateKeys(text: string): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  const stack: Container[] = [];
  let line = 1;
  let lineStart = 0;
  const valuePointer = (): string => {
    const top = stack.at(-1);
    return top === undefined ? '' : `${top.pointer}/${escapePointer(String(top.current))}`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === NEWLINE) {
      line++;
      lineStart = i + 1;
    } else if (c === 0x7b /* { */) {
      stack.push({ pointer: valuePointer(), keys: new Map(), expectKey: true, current: '' });
    } else if (c === 0x5b /* [ */) {
      stack.push({ pointer: valuePointer(), keys: undefined, expectKey: false, current: 0 });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack.at(-1);
      if (top?.keys !== undefined) top.expectKey = true;
      else if (top !== undefined) top.current = (top.current as number) + 1;
    } else if (c === QUOTE) {
      const end = closingQuote(text, i);
      const top = stack.at(-1);
      if (top?.keys !== undefined && top.expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        const at = { line, column: i - lineStart + 1 };
        const first = top.keys.get(key);
        if (first === undefined) top.keys.set(key, at);
        else found.push({ pointer: `${top.pointer}/${escapePointer(key)}`, key, at, first });
        top.expectKey = false;
        top.current = key;
      }
      // Strings hold no raw newline in valid JSON: the line count stays right.
      i = end;
    }
  }
  return found;
}

/** Index of the quote that ends the string opening at `open`. */
function closingQuote(text: string, open: number): number {
  let end = text.indexOf('"', open + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

export function duplicateKeyMessage(duplicate: DuplicateKey): string {
  return (
    `key "${duplicate.key}" appears twice in this object (first at line ${duplicate.first.line}, column ${duplicate.first.column}); ` +
    'JSON keeps only the last one and ignores the other without a word: remove one'
  );
}

/** The parsed file's repeated keys as problems of `file`, each at the repeated key. */
export function duplicateKeyProblems(file: string, duplicates: readonly DuplicateKey[]): Problem[] {
  return duplicates.map((d) => ({ file, pointer: d.pointer, ...d.at, message: duplicateKeyMessage(d) }));
}

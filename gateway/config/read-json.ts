/**
 * Reads a JSON file and keeps a map from JSON pointers to source positions, so every later problem can
 * name a line and column. Syntax errors come back as a positioned message rather than an exception.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { type DuplicateKey, findDuplicateKeys } from './json-duplicate-keys.ts';
import { trailingComma } from './json-trailing-comma.ts';

/** The part of json-source-map (CommonJS, untyped) that we use; positions are zero-based. */
interface SourcePosition {
  readonly line: number;
  readonly column: number;
  readonly pos: number;
}
interface PointerLocation {
  readonly key?: SourcePosition;
  readonly value: SourcePosition;
}
interface JsonSourceMap {
  parse(text: string): { data: unknown; pointers: Record<string, PointerLocation> };
}

export interface Position {
  /** One-based. */
  readonly line: number;
  /** One-based. */
  readonly column: number;
}

export interface ParsedJson {
  readonly ok: true;
  readonly data: unknown;
  /** Keys repeated inside one object (JSON.parse keeps the last silently): problems to report. */
  readonly duplicateKeys: readonly DuplicateKey[];
  /** Where a value (or, with 'key', its property name) starts; falls back to the nearest located parent. */
  locate(pointer: string, at?: 'key' | 'value'): Position | undefined;
}

/**
 * Deepest nesting of objects and arrays a config or mapping file may have. The deepest real file needs
 * about 8 levels; beyond this limit the recursive stages after JSON.parse (json-source-map, ajv, the
 * messages' JSON.stringify) would overflow the stack on a crafted or garbled file (~5,000 levels in
 * 10 KB), so such a file is refused up front with its position.
 */
export const MAX_JSON_DEPTH = 64;

export interface JsonSyntaxError {
  readonly ok: false;
  readonly message: string;
  readonly position: Position;
}

export type ReadJsonResult =
  | ParsedJson
  | JsonSyntaxError
  | { readonly ok: 'unreadable'; readonly reason: string; readonly code: string | undefined };

export async function readJsonFile(file: string): Promise<ReadJsonResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { ok: 'unreadable', reason: describeFsError(error), code: (error as NodeJS.ErrnoException).code };
  }
  return parseJson(text);
}

export function parseJson(source: string): ParsedJson | JsonSyntaxError {
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  // JSON.parse is the authority on validity and words its errors better; json-source-map knows positions.
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return syntaxError(text, (error as Error).message);
  }
  const tooDeep = offsetBeyondDepth(text, MAX_JSON_DEPTH);
  if (tooDeep !== undefined) {
    return {
      ok: false,
      message: `nested too deeply: more than ${MAX_JSON_DEPTH} levels of objects and arrays inside each other (the limit for a config or mapping file)`,
      position: positionAt(text, tooDeep),
    };
  }
  // Positions are needed only to report a problem: json-source-map (a parser in JavaScript, ~10 ms for a
  // 1,000-tag mapping) runs on the first locate(), not for every file of every start.
  let pointers: Record<string, PointerLocation> | undefined;
  return {
    ok: true,
    data,
    duplicateKeys: findDuplicateKeys(text),
    locate(pointer, at = 'value') {
      pointers ??= loadJsonSourceMap().parse(text).pointers;
      for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
        const location = pointers[p];
        if (location !== undefined) {
          const position = (p === pointer && at === 'key' ? location.key : undefined) ?? location.value;
          return { line: position.line + 1, column: position.column + 1 };
        }
        if (p === '') return undefined;
      }
    },
  };
}

/**
 * Where the first object or array deeper than `limit` opens, or undefined. `text` is valid JSON (JSON.parse
 * accepted it), so brackets outside strings are structure. One pass, no recursion.
 */
function offsetBeyondDepth(text: string, limit: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // A backslash escapes the next character (an escaped quote does not end the string).
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

function loadJsonSourceMap(): JsonSourceMap {
  return createRequire(import.meta.url)('json-source-map') as JsonSourceMap;
}

function syntaxError(text: string, rawMessage: string): JsonSyntaxError {
  const at = /at position (\d+)/.exec(rawMessage)?.[1] ?? tokenPosition(text);
  const offset = at === undefined ? text.length : Math.min(Number(at), text.length);
  const hint = trailingComma(text, offset);
  if (hint !== undefined) {
    return { ok: false, message: `invalid JSON: ${hint.message}`, position: positionAt(text, hint.offset) };
  }
  // V8 quotes the text around the error, line breaks and all ('…, ..."1,\n  2,\n  ],"... is not valid JSON').
  const message = rawMessage
    .replace(/ (in JSON )?at position \d+.*$/, '')
    .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/^Unexpected end of JSON input$/, 'unexpected end of file');
  return { ok: false, message: `invalid JSON: ${message}`, position: positionAt(text, offset) };
}

/** JSON.parse leaves the position out of some messages; json-source-map always reports one. */
function tokenPosition(text: string): string | undefined {
  try {
    loadJsonSourceMap().parse(text);
  } catch (error) {
    return /at position (\d+)/.exec((error as Error).message)?.[1];
  }
  return undefined;
}

function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** "no such file", "permission denied", …: the reason without Node's syscall noise. */
export function describeFsError(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ENOTDIR':
      return 'a parent of it is not a directory';
    default:
      return (error as Error).message;
  }
}

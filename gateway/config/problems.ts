/**
 * A problem found in a config or mapping file, and how it is printed. Every check in gateway/config/
 * reports Problems (never throws on bad input) so the user sees all of them at once, each pointing at
 * the file, the JSON location and the line, like a compiler.
 */
import { relative } from 'node:path';

export interface Problem {
  /** Absolute path of the file the problem is in. */
  readonly file: string;
  /** JSON pointer (RFC 6901) of the offending value, e.g. "/devices/0/port"; "" for the whole file. */
  readonly pointer: string;
  /** One-based. */
  readonly line?: number;
  /** One-based. */
  readonly column?: number;
  readonly message: string;
}

/** A problem before it is placed in a file: `at: 'key'` points at a property's name rather than its value. */
export interface Issue {
  readonly pointer: string;
  readonly message: string;
  readonly at?: 'key' | 'value';
}

export function pointerOf(...segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** "/devices/0/port" → "$.devices[0].port", the form people read (and jq-like tools use). */
export function displayPath(pointer: string): string {
  let path = '$';
  for (const segment of pointerSegments(pointer)) {
    if (/^(0|[1-9][0-9]*)$/.test(segment)) path += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) path += `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}

export interface FormatOptions {
  /** File names are printed relative to this directory. Default: the current directory. */
  readonly cwd?: string;
  /** Printed before each message, e.g. "warning: ". */
  readonly label?: string;
}

/**
 * One line per problem, `file:line:col  $.devices[0].port  message`, grouped by file (files in order of
 * first appearance, so the gateway file comes before the mapping files it names) and by line within a file.
 */
export function formatProblems(problems: readonly Problem[], options: FormatOptions = {}): string[] {
  const cwd = options.cwd ?? process.cwd();
  const byFile = new Map<string, Problem[]>();
  for (const problem of problems) {
    const group = byFile.get(problem.file);
    if (group === undefined) byFile.set(problem.file, [problem]);
    else group.push(problem);
  }
  const lines: string[] = [];
  for (const group of byFile.values()) {
    const sorted = [...group].sort(
      (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
    );
    for (const problem of sorted) lines.push(formatProblem(problem, cwd, options.label ?? ''));
  }
  return lines;
}

function formatProblem(problem: Problem, cwd: string, label: string): string {
  const name = displayFileName(problem.file, cwd);
  const where = problem.line === undefined ? name : `${name}:${problem.line}:${problem.column ?? 1}`;
  return `${where}  ${displayPath(problem.pointer)}  ${label}${problem.message}`;
}

export function displayFileName(file: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, file);
  // Far outside the working directory an absolute path reads better than a chain of "../".
  return rel === '' || rel.startsWith('../../../') ? file : rel;
}

export function plural(count: number, word: string, plural = `${word}s`): string {
  return `${count} ${count === 1 ? word : plural}`;
}

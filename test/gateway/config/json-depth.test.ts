/**
 * The nesting limit of config and mapping files (issue 12, point 6): deeper files are refused with the
 * position of the first bracket past the limit, brackets inside strings do not count, and a file at the
 * limit still parses.
 */
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, parseJson } from '../../../gateway/config/read-json.ts';

const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe('JSON nesting limit', () => {
  it('accepts a file nested exactly to the limit', () => {
    expect(parseJson(`{"a":${nested(MAX_JSON_DEPTH - 1)}}`).ok).toBe(true);
  });

  it('refuses one level more, at the bracket that goes past the limit', () => {
    const text = `{\n  "a": ${nested(MAX_JSON_DEPTH)}\n}`;
    const result = parseJson(text);
    expect(result).toEqual({
      ok: false,
      message: `nested too deeply: more than ${MAX_JSON_DEPTH} levels of objects and arrays inside each other (the limit for a config or mapping file)`,
      // Line 2: `  "a": ` is 7 characters, the root object is level 1, so bracket 64 is the one past it.
      position: { line: 2, column: 8 + MAX_JSON_DEPTH - 1 },
    });
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ description: `\\" ${'[{'.repeat(500)}`, nested: JSON.parse(nested(10)) });
    expect(parseJson(text).ok).toBe(true);
  });

  it('survives 100,000 levels (a 200 KB file) without a stack overflow', () => {
    expect(parseJson(nested(100_000)).ok).toBe(false);
  });
});

/**
 * The repeated-key scan runs over text JSON.parse accepted: what it must not be fooled by are strings
 * (quotes, backslashes, braces and commas inside them), keys spelt with escapes, and the same key in
 * different objects, which is fine.
 */
import { describe, expect, it } from 'vitest';
import { findDuplicateKeys } from '../../../gateway/config/json-duplicate-keys.ts';

function duplicates(text: string) {
  JSON.parse(text); // the scan's precondition
  return findDuplicateKeys(text).map((d) => ({
    pointer: d.pointer,
    at: `${d.at.line}:${d.at.column}`,
    first: `${d.first.line}:${d.first.column}`,
  }));
}

describe('findDuplicateKeys', () => {
  it('finds nothing in an object whose keys differ, or where one key is in two objects', () => {
    expect(duplicates('{"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]}')).toEqual([]);
  });

  it('is not fooled by quotes, backslashes, braces and commas inside strings', () => {
    const text = '{"a": "x\\", \\"a\\": {", "b\\\\": "}, [", "c": "\\\\", "a": 1}';
    expect(duplicates(text)).toEqual([{ pointer: '/a', at: '1:50', first: '1:2' }]);
  });

  it('compares keys decoded, and gives JSON pointers through arrays and escaped segments', () => {
    const text = '{\n  "list": [0, {"a/b": 1, "a\\/b": 2}],\n  "t~": {"k": 1,\n "\\u006b": 2}\n}';
    expect(duplicates(text)).toEqual([
      { pointer: '/list/1/a~1b', at: '2:26', first: '2:16' },
      { pointer: '/t~0/k', at: '4:2', first: '3:10' },
    ]);
  });

  it('reports every repeat of a key that appears three times, each against the first', () => {
    expect(duplicates('{"a": 1, "a": 2, "a": 3}')).toEqual([
      { pointer: '/a', at: '1:10', first: '1:2' },
      { pointer: '/a', at: '1:18', first: '1:2' },
    ]);
  });
});

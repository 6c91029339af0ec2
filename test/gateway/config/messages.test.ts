import { describe, expect, it } from 'vitest';
import { displayPath, formatProblems, pointerOf } from '../../../gateway/config/problems.ts';
import { closestMatch } from '../../../gateway/config/suggest.ts';

describe('closestMatch', () => {
  it.each([
    ['adress', ['area', 'address', 'ref'], 'address'],
    ['float', ['bool', 'float32', 'float64'], 'float32'],
    ['ABDC', ['ABCD', 'BADC', 'CDAB', 'DCBA'], 'ABCD'],
    ['Holding', ['coil', 'discrete', 'holding', 'input'], 'holding'],
    ['modbus-rtu', ['modbus-tcp'], undefined],
    ['colour', ['name', 'type', 'unit'], undefined],
  ])('%s → %s', (word, candidates, expected) => {
    expect(closestMatch(word, candidates)).toBe(expected);
  });
});

describe('problem formatting', () => {
  it('shows JSON pointers as paths people read', () => {
    expect(displayPath('')).toBe('$');
    expect(displayPath(pointerOf('devices', 0, 'port'))).toBe('$.devices[0].port');
    expect(displayPath(pointerOf('a/b', 'x y', '$schema'))).toBe('$["a/b"]["x y"].$schema');
  });

  it('groups by file in order of appearance and sorts by line within a file', () => {
    const lines = formatProblems(
      [
        { file: '/cfg/gateway.json', pointer: '/a', line: 9, column: 3, message: 'second' },
        { file: '/cfg/m.json', pointer: '', message: 'whole file' },
        { file: '/cfg/gateway.json', pointer: '/b', line: 2, column: 5, message: 'first' },
      ],
      { cwd: '/cfg' },
    );
    expect(lines).toEqual([
      'gateway.json:2:5  $.b  first',
      'gateway.json:9:3  $.a  second',
      'm.json  $  whole file',
    ]);
  });
});

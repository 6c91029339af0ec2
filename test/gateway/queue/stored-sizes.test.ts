import { describe, expect, it } from 'vitest';
import { StoredSizes } from '../../../gateway/queue/stored-sizes.ts';

describe('StoredSizes', () => {
  it('knows the size of each stored seq and 0 for every other', () => {
    const sizes = new StoredSizes();
    expect(sizes.first).toBeUndefined();
    sizes.add(10, 30);
    sizes.add(11, 31);
    sizes.add(14, 34); // 12 and 13 never stored (a failed batch)
    expect([9, 10, 11, 12, 13, 14, 15, 1.5, -1].map((seq) => sizes.sizeOf(seq))).toEqual([
      0, 30, 31, 0, 0, 34, 0, 0, 0,
    ]);
    expect(sizes.count).toBe(3);
    expect(sizes.first).toBe(10);
  });

  it('removes each seq once, returns its size, and moves the head past removed seqs', () => {
    const sizes = new StoredSizes();
    for (let seq = 1; seq <= 5; seq++) sizes.add(seq, 100 + seq);
    expect(sizes.remove(3)).toBe(103);
    expect(sizes.remove(3)).toBe(0);
    expect(sizes.first).toBe(1);
    expect(sizes.remove(1)).toBe(101);
    expect(sizes.first).toBe(2);
    expect(sizes.remove(2)).toBe(102);
    expect(sizes.first).toBe(4);
    expect(sizes.count).toBe(2);
    const seen: [number, number][] = [];
    sizes.forEachFromOldest((seq, size) => seen.push([seq, size]) < 5);
    expect(seen).toEqual([
      [4, 104],
      [5, 105],
    ]);
    sizes.remove(4);
    sizes.remove(5);
    expect(sizes.first).toBeUndefined();
    sizes.add(9, 9);
    expect(sizes.first).toBe(9);
    expect(sizes.sizeOf(5)).toBe(0);
  });

  it('stays exact through growth and sliding as a FIFO of 100 000 seqs passes through', () => {
    const sizes = new StoredSizes();
    let oldest = 1;
    for (let seq = 1; seq <= 100_000; seq++) {
      sizes.add(seq, (seq % 1000) + 1);
      // Acks trail appends by a varying distance, so the live range both grows and slides.
      while (seq - oldest > (seq % 5000) + 10) expect(sizes.remove(oldest++)).toBe(((oldest - 1) % 1000) + 1);
    }
    expect(sizes.first).toBe(oldest);
    expect(sizes.count).toBe(100_000 - oldest + 1);
    for (const seq of [oldest - 1, oldest, 100_000, 100_001]) {
      expect(sizes.sizeOf(seq)).toBe(seq >= oldest && seq <= 100_000 ? (seq % 1000) + 1 : 0);
    }
  });

  it('refuses seqs added out of order', () => {
    const sizes = new StoredSizes();
    sizes.add(5, 1);
    expect(() => sizes.add(5, 1)).toThrow(/seq 5 added out of order/);
  });
});

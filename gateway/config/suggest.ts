/** "Did you mean …?" for misspelt property names and enum values. */

/** The closest candidate to `word`, if it is close enough to be a likely typo (or a prefix, e.g. float → float32). */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const other = candidate.toLowerCase();
    const distance =
      other === lower ? 0 : other.startsWith(lower) && lower.length >= 3 ? 1 : editDistance(lower, other);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // About one edit per four characters: "adress" → "address", "ABDC" → "ABCD", but not "modbus-rtu" →
  // "modbus-tcp" (a different thing, not a typo).
  const allowed = Math.max(1, Math.floor(word.length / 4));
  return bestDistance <= allowed ? best : undefined;
}

/** ` (did you mean "address"?)`, or "" when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}

/** Levenshtein distance with adjacent transpositions counted as one edit ("adderss" → "address"). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const previous = rows[i - 1] ?? [];
      let value = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(value);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}

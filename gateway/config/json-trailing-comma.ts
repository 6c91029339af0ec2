/**
 * The most common hand-editing slip in a JSON file is a comma after the last element ("port": 502,}),
 * which V8 reports as "Expected double-quoted property name" or as an unexpected "]" with a quoted
 * excerpt of the file spread over several lines. Said plainly, at the comma.
 */

export interface SyntaxHint {
  readonly message: string;
  /** Offset in the text the message is about. */
  readonly offset: number;
}

/** A trailing comma before the "}" or "]" at (or just after) `offset`, where JSON.parse stopped. */
export function trailingComma(text: string, offset: number): SyntaxHint | undefined {
  let close = offset;
  while (close < text.length && isSpace(text.charCodeAt(close))) close++;
  const closer = text[close];
  if (closer !== '}' && closer !== ']') return undefined;
  let comma = close - 1;
  while (comma >= 0 && isSpace(text.charCodeAt(comma))) comma--;
  if (text[comma] !== ',') return undefined;
  const what = closer === '}' ? 'property of an object' : 'element of an array';
  return {
    message: `trailing comma: JSON allows no "," after the last ${what}; remove it`,
    offset: comma,
  };
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Turns ajv's errors into one human message per location that says what was expected and what was found:
 * `expected an integer 1..65535, got "502"`, `unknown property "adress" (did you mean "address"?)…`.
 * ajv reports every branch of a union separately (twelve "must be equal to constant" for one bad type
 * name); those are collapsed here into a single message, or into the errors of the branch the user
 * evidently meant.
 */
import type { ErrorObject } from 'ajv';
import { redactUrls } from '../publisher/redact-url.ts';
import { type Issue, plural, pointerOf, pointerSegments } from './problems.ts';
import { didYouMean } from './suggest.ts';

type Schema = Record<string, unknown>;

export interface DescribeOptions {
  /**
   * Schemas of places that hold secret references: a value found there may be a password typed in by
   * mistake, so it is never echoed.
   */
  readonly isSecret?: (schema: Record<string, unknown>) => boolean;
}

export function describeSchemaErrors(errors: readonly ErrorObject[], options: DescribeOptions = {}): Issue[] {
  const pool = new Set(errors);
  const issues: Issue[] = [];
  // Outermost unions first, so a union nested in a discarded branch is discarded with it.
  const unions = errors
    .filter((e) => e.keyword === 'anyOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const union of unions) {
    if (!pool.has(union)) continue;
    pool.delete(union);
    const branches = branchErrors(union, pool);
    const chosen = chooseBranch(union, branches);
    for (const [index, branch] of branches) {
      if (index !== chosen) for (const error of branch) pool.delete(error);
    }
    const mismatch = chosen === undefined ? discriminatorMismatch(union) : undefined;
    if (mismatch !== undefined) issues.push(mismatch);
    else if (chosen === undefined) {
      const secret = options.isSecret?.((union.parentSchema ?? {}) as Schema) === true;
      issues.push({ pointer: union.instancePath, message: describeUnionMismatch(union, secret) });
    }
  }
  for (const error of pool) issues.push(describeError(error));
  return dedupe(issues);
}

function branchErrors(union: ErrorObject, pool: ReadonlySet<ErrorObject>): Map<number, ErrorObject[]> {
  const prefix = `${union.schemaPath}/`;
  const branches = new Map<number, ErrorObject[]>();
  for (const error of pool) {
    if (!error.schemaPath.startsWith(prefix)) continue;
    if (
      error.instancePath !== union.instancePath &&
      !error.instancePath.startsWith(`${union.instancePath}/`)
    ) {
      continue;
    }
    const index = Number(error.schemaPath.slice(prefix.length).split('/')[0]);
    branches.set(index, [...(branches.get(index) ?? []), error]);
  }
  return branches;
}

/**
 * The branch whose errors are worth showing: for objects, the single branch whose required properties are
 * all present ({"file": 5} evidently meant the file branch). Undefined when no branch stands out; the
 * union is then reported as one message listing the alternatives.
 */
function chooseBranch(union: ErrorObject, branches: ReadonlyMap<number, ErrorObject[]>): number | undefined {
  const alternatives = unionAlternatives(union);
  const data = union.data;
  if (!isObject(data) || !alternatives.every(isObject)) return undefined;
  const candidates = alternatives.flatMap((alternative, index) => {
    const required = (alternative.required as string[] | undefined) ?? [];
    return required.length > 0 && required.every((key) => key in data) ? [index] : [];
  });
  // Alternatives told apart by a constant property (an OPC UA group's "mode"): the one whose constant the
  // data has is the one meant, whatever else is wrong with it.
  const matching = candidates.filter((index) =>
    discriminators(alternatives).every((key) => constOf(alternatives[index], key) === data[key]),
  );
  const [only] = matching;
  return matching.length === 1 && only !== undefined && branches.has(only) ? only : undefined;
}

/** Properties that every alternative fixes to a constant, e.g. "mode" of {"mode": "poll", …} | {"mode": "subscription", …}. */
function discriminators(alternatives: readonly Schema[]): string[] {
  const [first] = alternatives;
  if (first === undefined) return [];
  return Object.keys((first.properties as Schema | undefined) ?? {}).filter((key) =>
    alternatives.every((a) => constOf(a, key) !== undefined),
  );
}

function constOf(schema: Schema | undefined, key: string): unknown {
  const property = (schema?.properties as Schema | undefined)?.[key] as Schema | undefined;
  return property !== undefined && 'const' in property ? property.const : undefined;
}

/** `unknown mode "sample"; expected one of subscription, poll`, at the discriminating property. */
function discriminatorMismatch(union: ErrorObject): Issue | undefined {
  const alternatives = unionAlternatives(union);
  const data = union.data;
  if (!isObject(data) || !alternatives.every(isObject)) return undefined;
  for (const key of discriminators(alternatives)) {
    const allowed = alternatives.map((a) => String(constOf(a, key)));
    const value = data[key];
    if (value === undefined || allowed.includes(value as string)) continue;
    const hint = typeof value === 'string' ? didYouMean(value, allowed) : '';
    return {
      pointer: `${union.instancePath}${pointerOf(key)}`,
      message: `unknown ${key} ${show(value)}${hint}; expected one of ${allowed.join(', ')}`,
    };
  }
  return undefined;
}

function describeUnionMismatch(union: ErrorObject, secret: boolean): string {
  const alternatives = unionAlternatives(union);
  const data = union.data;
  if (alternatives.every((a) => 'const' in a)) {
    const allowed = alternatives.map((a) => String(a.const));
    if (alternatives.some((a) => typeof a.const === typeof data)) {
      const hint = typeof data === 'string' ? didYouMean(data, allowed) : '';
      return `unknown ${propertyName(union.instancePath)} ${show(data)}${hint}; expected one of ${allowed.join(', ')}`;
    }
    return `expected one of ${allowed.join(', ')}; got ${show(data)}`;
  }
  const shapes = alternatives.map(describeSchema);
  const expected = `expected one of ${shapes.join(', ')}`;
  if (secret && !isObject(data)) {
    return `${expected}: a secret is never written in the config itself, only where to read it from`;
  }
  // Where a secret belongs, what was found may be the secret itself: name only the keys, never values.
  let message = secret ? expected : `${expected}; got ${show(data)}`;
  if (isObject(data)) {
    const known = alternatives.flatMap((a) => Object.keys((a.properties as Schema | undefined) ?? {}));
    for (const key of Object.keys(data)) {
      if (!known.includes(key)) message += `; unknown property "${key}"${didYouMean(key, known)}`;
    }
    if (Object.keys(data).length > 1 && Object.keys(data).every((key) => known.includes(key))) {
      message += `; give exactly one of ${Object.keys(data).join(', ')}`;
    }
  }
  return message;
}

/** "type" for "/tags/3/type": how the message names the field. */
function propertyName(pointer: string): string {
  const last = pointerSegments(pointer).at(-1);
  return last === undefined || /^[0-9]+$/.test(last) ? 'value' : last;
}

function unionAlternatives(union: ErrorObject): Schema[] {
  return Array.isArray(union.schema) ? (union.schema as Schema[]) : [];
}

function describeError(error: ErrorObject): Issue {
  const parent = (error.parentSchema ?? {}) as Schema;
  const params = error.params as Record<string, unknown>;
  const pointer = error.instancePath;
  switch (error.keyword) {
    case 'additionalProperties': {
      const property = String(params.additionalProperty);
      const allowed = Object.keys((parent.properties as Schema | undefined) ?? {}).filter(
        (k) => k !== '$schema',
      );
      return {
        pointer: `${pointer}${pointerOf(property)}`,
        at: 'key',
        message: `unknown property "${property}"${didYouMean(property, allowed)}; allowed: ${allowed.join(', ')}`,
      };
    }
    case 'required':
      return { pointer, message: `missing required property "${String(params.missingProperty)}"` };
    case 'minLength':
      if (params.limit === 1 && error.data === '') return { pointer, message: 'must not be empty' };
      return { pointer, message: `expected ${describeSchema(parent)}, got ${show(error.data)}` };
    case 'minItems':
      return {
        pointer,
        message: `must have at least ${plural(Number(params.limit), 'entry', 'entries')}, got ${show(error.data)}`,
      };
    case 'type':
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'pattern':
    case 'maxLength':
    case 'const':
      return { pointer, message: `expected ${describeSchema(parent)}, got ${show(error.data)}` };
    default:
      return { pointer, message: error.message ?? `fails the "${error.keyword}" rule` };
  }
}

/** What a value of this schema looks like, in words: "an integer 1..65535", "a string matching /…/". */
export function describeSchema(schema: Schema): string {
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.anyOf)) {
    const alternatives = schema.anyOf as Schema[];
    if (alternatives.every((a) => 'const' in a))
      return `one of ${alternatives.map((a) => String(a.const)).join(', ')}`;
    return alternatives.map(describeSchema).join(' or ');
  }
  switch (schema.type) {
    case 'integer':
      return `an integer${describeRange(schema)}`;
    case 'number':
      return `a number${describeRange(schema)}`;
    case 'string':
      if (typeof schema.pattern === 'string') {
        // The pattern alone is cryptic; the field's description usually says it in words.
        const words =
          typeof schema.description === 'string' ? ` (${schema.description.replace(/\.$/, '')})` : '';
        return `a string matching ${schema.pattern}${words}`;
      }
      return schema.minLength === 1 ? 'a non-empty string' : 'a string';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'an array';
    case 'object': {
      const required = (schema.required as string[] | undefined) ?? [];
      // A one-key object such as a secret reference reads best as its own shape: {"env": …}.
      if (
        required.length === 1 &&
        Object.keys((schema.properties as Schema | undefined) ?? {}).length === 1
      ) {
        return `{"${required[0]}": …}`;
      }
      return 'an object';
    }
    default:
      return 'a valid value';
  }
}

function describeRange(schema: Schema): string {
  const min = schema.minimum as number | undefined;
  const max = schema.maximum as number | undefined;
  if (min !== undefined && max !== undefined) return ` ${min}..${max}`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return '';
}

/** A found value as it would appear in the file, shortened so one message stays on one line. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  // A broker URL may carry a password (mqtt://user:password@host): never echo it.
  const text = redactUrls(JSON.stringify(value));
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dedupe(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.pointer}\n${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

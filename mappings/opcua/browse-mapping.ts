/**
 * Turns the variables found by `fieldbridge opcua browse` into a ready-to-edit mapping file (issue 5).
 * Node ids are written in the `nsu=` form so the mapping survives a server that reorders namespaces;
 * tag names come from the browse path, made unique and legal for MQTT topics.
 */
import type { OpcUaMapping } from './schema.ts';

export interface BrowsedVariable {
  /** Browse names from below the browse root down to the variable. */
  readonly path: readonly string[];
  /** Node id text as the server gave it, e.g. "ns=2;s=Line1.Speed". */
  readonly nodeId: string;
}

/** "ns=2;s=X" → "nsu=<uri>;s=X" (namespace 0 and unknown indexes are kept as they are). */
export function toNamespaceUriForm(nodeId: string, namespaceArray: readonly string[]): string {
  const match = /^ns=([0-9]+);(.*)$/.exec(nodeId);
  if (match === null) return nodeId;
  const uri = namespaceArray[Number(match[1])];
  return uri === undefined || Number(match[1]) === 0 ? nodeId : `nsu=${uri};${match[2]}`;
}

/** A tag name matching the mapping schema: no spaces, "#", "+", and no leading "/". */
export function tagNameFromPath(path: readonly string[]): string {
  const name = path
    .map((part) => part.replace(/[#+\s/]+/g, '_'))
    .filter((part) => part !== '')
    .join('.');
  return name === '' ? 'tag' : name;
}

export function mappingFromBrowse(
  variables: readonly BrowsedVariable[],
  namespaceArray: readonly string[],
  description: string,
): OpcUaMapping {
  const used = new Set<string>();
  const tags = variables.map((variable) => {
    const base = tagNameFromPath(variable.path);
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return { name, nodeId: toNamespaceUriForm(variable.nodeId, namespaceArray) };
  });
  return {
    $schema: 'https://fieldbridge.dev/schemas/opcua-mapping.schema.json',
    description,
    groups: [{ name: 'browsed', mode: 'subscription', publishingIntervalMs: 1000, tags }],
  };
}

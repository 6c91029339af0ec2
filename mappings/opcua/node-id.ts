/**
 * Parses the node id text of a mapping file (OPC UA Part 6, 5.3.1.10) without loading node-opcua, so a
 * typo is reported at start-up with the tag's name, and `nsu=` ids can be re-resolved against the
 * server's NamespaceArray at every connect.
 */
export type IdentifierType = 'i' | 's' | 'g' | 'b';

export interface ParsedNodeId {
  /** A namespace index, or the namespace URI of an `nsu=` id (looked up at connect). */
  readonly namespace: number | string;
  readonly type: IdentifierType;
  /** The identifier text after "i=", "s=", "g=" or "b=". */
  readonly identifier: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const UINT32_MAX = 0xffffffff;

/** Returns the parsed id, or a message saying what was expected. */
export function parseNodeId(text: string): ParsedNodeId | string {
  let namespace: number | string = 0;
  let rest = text;
  if (text.startsWith('ns=') || text.startsWith('nsu=')) {
    const semicolon = text.indexOf(';');
    if (semicolon === -1) return `node id "${text}": expected ";" after the namespace, as in "ns=2;s=Name"`;
    const ns = text.slice(0, semicolon);
    rest = text.slice(semicolon + 1);
    if (ns.startsWith('nsu=')) {
      namespace = ns.slice(4);
      if (namespace === '') return `node id "${text}": empty namespace URI after "nsu="`;
    } else {
      const index = ns.slice(3);
      if (!/^[0-9]+$/.test(index) || Number(index) > 65535) {
        return `node id "${text}": namespace index must be an integer 0..65535, not "${index}"`;
      }
      namespace = Number(index);
    }
  }
  const type = rest.slice(0, 2);
  const identifier = rest.slice(2);
  switch (type) {
    case 'i=':
      if (!/^[0-9]+$/.test(identifier) || Number(identifier) > UINT32_MAX) {
        return `node id "${text}": a numeric identifier (i=) must be an integer 0..${UINT32_MAX}`;
      }
      return { namespace, type: 'i', identifier: String(Number(identifier)) };
    case 's=':
      if (identifier === '') return `node id "${text}": empty string identifier`;
      return { namespace, type: 's', identifier };
    case 'g=':
      if (!GUID.test(identifier)) {
        return `node id "${text}": a GUID identifier (g=) looks like 72962b91-fa75-4ae6-8d28-b404dc7daf63`;
      }
      return { namespace, type: 'g', identifier };
    case 'b=':
      if (identifier === '' || !BASE64.test(identifier) || identifier.length % 4 !== 0) {
        return `node id "${text}": an opaque identifier (b=) must be base64`;
      }
      return { namespace, type: 'b', identifier };
    default:
      return `node id "${text}": expected "i=", "s=", "g=" or "b=" after the namespace`;
  }
}

/**
 * The `ns=<index>;…` text for the server at hand: URIs are looked up in its NamespaceArray (index = position).
 * Returns undefined when the server does not have the namespace.
 */
export function nodeIdForServer(id: ParsedNodeId, namespaceArray: readonly string[]): string | undefined {
  const index = typeof id.namespace === 'number' ? id.namespace : namespaceArray.indexOf(id.namespace);
  if (index < 0) return undefined;
  return index === 0 ? `${id.type}=${id.identifier}` : `ns=${index};${id.type}=${id.identifier}`;
}

export function formatNodeId(id: ParsedNodeId): string {
  if (id.namespace === 0) return `${id.type}=${id.identifier}`;
  const ns = typeof id.namespace === 'number' ? `ns=${id.namespace}` : `nsu=${id.namespace}`;
  return `${ns};${id.type}=${id.identifier}`;
}

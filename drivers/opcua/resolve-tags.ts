/**
 * Each tag's node id for the server at hand, at every connect: `nsu=` ids are looked up in the server's
 * NamespaceArray (so they follow a server that reordered its namespaces), `ns=` ids are taken as they
 * are. A tag whose namespace the server does not have gets a result of its own, BadNodeIdUnknown.
 */
import type { ReadValueIdOptions } from 'node-opcua-client';
import type { CompiledOpcUaTag } from '../../mappings/opcua/compile.ts';
import { formatNodeId, nodeIdForServer } from '../../mappings/opcua/node-id.ts';
import type { OpcUaItemResult } from '../../mappings/opcua/reading.ts';
import { BAD_NODE_ID_UNKNOWN } from './status.ts';

type OpcUa = typeof import('node-opcua-client');

export interface ResolvedTags {
  /** Index-aligned with the tags: what to read or monitor, undefined when unresolved. */
  readonly reads: readonly (ReadValueIdOptions | undefined)[];
  readonly unresolved: readonly OpcUaItemResult[];
}

export function resolveTags(
  opcua: OpcUa,
  tags: readonly CompiledOpcUaTag[],
  namespaceArray: readonly string[],
): ResolvedTags {
  const reads: (ReadValueIdOptions | undefined)[] = [];
  const unresolved: OpcUaItemResult[] = [];
  tags.forEach((tag, index) => {
    const text = nodeIdForServer(tag.nodeId, namespaceArray);
    if (text === undefined) {
      reads.push(undefined);
      unresolved.push({
        tag: index,
        error: `node ${formatNodeId(tag.nodeId)}: the server has no namespace "${String(tag.nodeId.namespace)}"`,
        code: BAD_NODE_ID_UNKNOWN,
      });
      return;
    }
    reads.push({ nodeId: opcua.resolveNodeId(text), attributeId: opcua.AttributeIds.Value });
  });
  return { reads, unresolved };
}

/**
 * Checks on an OPC UA mapping that a JSON Schema cannot express: tag names unique across all groups (they
 * share one MQTT namespace per device), group names unique, and node ids that parse (mappings/opcua/
 * node-id.ts, the parser the driver uses). Pure, no I/O; reads the data defensively, since it may have
 * failed the schema elsewhere.
 */
import { parseNodeId } from '../../mappings/opcua/node-id.ts';
import { type Issue, pointerOf } from './problems.ts';

const NODE_ID_FORMS =
  'ns=<index>;s=<name>, ns=<index>;i=<number>, ns=<index>;g=<guid>, ns=<index>;b=<base64>, nsu=<namespace URI>;s=<name> (no ns= for namespace 0: i=2258)';

export interface OpcUaMappingCheckResult {
  readonly issues: Issue[];
  /**
   * Pointers of node ids reported here: the schema's pattern error at the same place says less, so the
   * loader drops it.
   */
  readonly nodeIdPointers: ReadonlySet<string>;
}

export function checkOpcUaMapping(mapping: unknown): OpcUaMappingCheckResult {
  const groups = (mapping as { groups?: unknown } | null)?.groups;
  const issues: Issue[] = [];
  const nodeIdPointers = new Set<string>();
  if (!Array.isArray(groups)) return { issues, nodeIdPointers };
  const firstGroup = new Map<string, number>();
  const firstTag = new Map<string, string>();
  groups.forEach((group: unknown, g) => {
    const groupName = (group as { name?: unknown } | null)?.name;
    if (typeof groupName === 'string') {
      const first = firstGroup.get(groupName);
      if (first === undefined) firstGroup.set(groupName, g);
      else {
        issues.push({
          pointer: pointerOf('groups', g, 'name'),
          message: `duplicate group name "${groupName}": already used by groups[${first}]; group names must be unique`,
        });
      }
    }
    const tags = (group as { tags?: unknown } | null)?.tags;
    if (!Array.isArray(tags)) return;
    tags.forEach((tag: unknown, t) => {
      const { name, nodeId } = (tag ?? {}) as { name?: unknown; nodeId?: unknown };
      const where = `groups[${g}].tags[${t}]`;
      if (typeof name === 'string') {
        const first = firstTag.get(name);
        if (first === undefined) firstTag.set(name, where);
        else {
          issues.push({
            pointer: pointerOf('groups', g, 'tags', t, 'name'),
            message: `duplicate tag name "${name}": already used by ${first}; tag names must be unique across all groups of a mapping`,
          });
        }
      }
      if (typeof nodeId !== 'string') return;
      const parsed = parseNodeId(nodeId);
      if (typeof parsed !== 'string') return;
      const pointer = pointerOf('groups', g, 'tags', t, 'nodeId');
      nodeIdPointers.add(pointer);
      const label = typeof name === 'string' ? `tag "${name}"` : where;
      issues.push({ pointer, message: `${label}: ${parsed}. Valid forms: ${NODE_ID_FORMS}` });
    });
  });
  return { issues, nodeIdPointers };
}

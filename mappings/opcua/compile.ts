/**
 * Compiles an OPC UA tag mapping for one device, once at start-up (issue 5): parses every node id,
 * merges the publish policy (tag ← group ← mapping ← device ← built-in, as for Modbus) and group
 * settings, and picks each tag's scaler. The driver gets the groups (what to monitor or read, by tag
 * index); `decode` turns its readings into TagSamples.
 *
 * Samples from `decode` are index-aligned with `tags`, undefined where not in the reading: a
 * subscription notification carries
 * only the items that changed, and ReportByException skips the holes (mappings/report.ts), so an
 * unchanged tag is neither republished nor marked good again by a neighbour's notification.
 */

import type { TagSample } from '../../core/sample.ts';
import { makeScaler } from '../modbus/codec/scaling.ts';
import { resolvePublishPolicy } from '../publish-policy.ts';
import type { ReportPolicy } from '../report.ts';
import type { PublishPolicy } from '../schema.ts';
import { dataValueToSample } from './convert.ts';
import { type ParsedNodeId, parseNodeId } from './node-id.ts';
import type { OpcUaReading } from './reading.ts';
import type { Deadband, OpcUaGroup, OpcUaMapping, OpcUaTag } from './schema.ts';

export interface OpcUaDeviceOptions {
  readonly name: string;
  readonly pollIntervalMs?: number | undefined;
  readonly publish?: PublishPolicy | undefined;
  readonly useSourceTimestamp?: boolean | undefined;
}

export type TagPublishPolicy = ReportPolicy;

export interface CompiledOpcUaTag {
  readonly name: string;
  /** As written in the mapping, for logs. */
  readonly nodeIdText: string;
  readonly nodeId: ParsedNodeId;
  readonly unit?: string;
  readonly description?: string;
  readonly publish: TagPublishPolicy;
}

export interface CompiledSubscriptionGroup {
  readonly mode: 'subscription';
  readonly name: string;
  readonly publishingIntervalMs: number;
  readonly samplingIntervalMs: number;
  readonly queueSize: number;
  readonly deadband?: Deadband;
  /** Indexes into `tags`. */
  readonly tags: readonly number[];
}

export interface CompiledPollGroup {
  readonly mode: 'poll';
  readonly name: string;
  readonly pollIntervalMs: number;
  readonly tags: readonly number[];
}

export type CompiledOpcUaGroup = CompiledSubscriptionGroup | CompiledPollGroup;

export interface CompiledOpcUaDevice {
  readonly tags: readonly CompiledOpcUaTag[];
  readonly groups: readonly CompiledOpcUaGroup[];
  /** Sparse: only the tags of `reading.results` are set. */
  /** Dense: tags not in this reading are undefined. */
  decode(reading: OpcUaReading): (TagSample | undefined)[];
}

export { DEFAULT_PUBLISH } from '../publish-policy.ts';
export const DEFAULT_POLL_INTERVAL_MS = 1000;
export const DEFAULT_PUBLISHING_INTERVAL_MS = 1000;

function compileGroup(
  group: OpcUaGroup,
  tags: readonly number[],
  device: OpcUaDeviceOptions,
): CompiledOpcUaGroup {
  if (group.mode === 'poll') {
    return Object.freeze({
      mode: 'poll',
      name: group.name,
      pollIntervalMs: group.pollIntervalMs ?? device.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      tags,
    });
  }
  const publishingIntervalMs = group.publishingIntervalMs ?? DEFAULT_PUBLISHING_INTERVAL_MS;
  return Object.freeze({
    mode: 'subscription',
    name: group.name,
    publishingIntervalMs,
    samplingIntervalMs: group.samplingIntervalMs ?? publishingIntervalMs,
    queueSize: group.queueSize ?? 1,
    ...(group.deadband !== undefined && { deadband: group.deadband }),
    tags,
  });
}

export function compileOpcUaMapping(mapping: OpcUaMapping, device: OpcUaDeviceOptions): CompiledOpcUaDevice {
  const context = `OPC UA device "${device.name}"`;
  const useSourceTimestamp = device.useSourceTimestamp ?? true;
  const tags: CompiledOpcUaTag[] = [];
  const scalers: (((raw: number) => number) | undefined)[] = [];
  const groups: CompiledOpcUaGroup[] = [];
  const seenTags = new Set<string>();
  const seenGroups = new Set<string>();

  mapping.groups.forEach((group, g) => {
    if (seenGroups.has(group.name)) {
      throw new Error(
        `${context}: group "${group.name}" (#${g + 1}) is named twice; group names must be unique`,
      );
    }
    seenGroups.add(group.name);
    const indexes = group.tags.map((tag: OpcUaTag) => {
      const label = `${context}: tag "${tag.name}" (group "${group.name}")`;
      if (seenTags.has(tag.name))
        throw new Error(`${label}: the name is used twice; tag names must be unique`);
      seenTags.add(tag.name);
      const nodeId = parseNodeId(tag.nodeId);
      if (typeof nodeId === 'string') throw new Error(`${label}: ${nodeId}`);
      tags.push(
        Object.freeze({
          name: tag.name,
          nodeIdText: tag.nodeId,
          nodeId,
          ...(tag.unit !== undefined && { unit: tag.unit }),
          ...(tag.description !== undefined && { description: tag.description }),
          publish: resolvePublishPolicy([tag.publish, group.publish, mapping.publish, device.publish]),
        }),
      );
      scalers.push(makeScaler(tag));
      return tags.length - 1;
    });
    groups.push(compileGroup(group, Object.freeze(indexes), device));
  });

  const names = tags.map((t) => t.name);
  const options = scalers.map((scaler) => ({ useSourceTimestamp, scaler }));
  const count = tags.length;

  const decode = (reading: OpcUaReading): (TagSample | undefined)[] => {
    // Filled, not `new Array(count)`: holes are what iterating code trips over (issue 11).
    const out = new Array<TagSample | undefined>(count).fill(undefined);
    for (const result of reading.results) {
      const name = names[result.tag];
      const tagOptions = options[result.tag];
      if (name === undefined || tagOptions === undefined) continue;
      if ('dataValue' in result) {
        out[result.tag] = dataValueToSample(name, result.dataValue, reading.ts, tagOptions);
      } else {
        const { error, code } = result;
        out[result.tag] =
          code === undefined
            ? { tag: name, value: null, quality: 'bad', ts: reading.ts, error }
            : { tag: name, value: null, quality: 'bad', ts: reading.ts, error, code };
      }
    }
    return out;
  };
  return Object.freeze({ tags: Object.freeze(tags), groups: Object.freeze(groups), decode });
}

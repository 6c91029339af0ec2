import { describe, expect, it } from 'vitest';
import { mappingFromBrowse, tagNameFromPath } from '../../../mappings/opcua/browse-mapping.ts';
import { compileOpcUaMapping } from '../../../mappings/opcua/compile.ts';
import { opcUaDeviceProblems } from '../../../mappings/opcua/device-schema.ts';
import { formatNodeId, nodeIdForServer, parseNodeId } from '../../../mappings/opcua/node-id.ts';
import type { OpcUaMapping } from '../../../mappings/opcua/schema.ts';

describe('parseNodeId', () => {
  it.each([
    ['i=2258', { namespace: 0, type: 'i', identifier: '2258' }],
    ['ns=2;s=Line 1.Speed', { namespace: 2, type: 's', identifier: 'Line 1.Speed' }],
    [
      'ns=3;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63',
      { namespace: 3, type: 'g', identifier: '72962B91-FA75-4AE6-8D28-B404DC7DAF63' },
    ],
    ['ns=1;b=AQID', { namespace: 1, type: 'b', identifier: 'AQID' }],
    ['nsu=urn:vendor:plc;s=a;b', { namespace: 'urn:vendor:plc', type: 's', identifier: 'a;b' }],
  ])('%s', (text, expected) => {
    expect(parseNodeId(text)).toEqual(expected);
    expect(formatNodeId(expected as never)).toBe(text);
  });

  it.each([
    ['ns=2', 'expected ";" after the namespace'],
    ['ns=x;i=1', 'namespace index must be an integer'],
    ['i=abc', 'numeric identifier (i=) must be an integer'],
    ['ns=1;g=nope', 'GUID identifier'],
    ['ns=1;b=***', 'must be base64'],
    ['ns=1;q=1', 'expected "i=", "s=", "g=" or "b="'],
  ])('%s is refused', (text, message) => {
    expect(parseNodeId(text)).toContain(message);
  });

  it('nsu= ids follow the server namespace array; unknown URIs give undefined', () => {
    const id = parseNodeId('nsu=urn:b;s=X');
    if (typeof id === 'string') throw new Error(id);
    expect(nodeIdForServer(id, ['http://opcfoundation.org/UA/', 'urn:a', 'urn:b'])).toBe('ns=2;s=X');
    expect(nodeIdForServer(id, ['http://opcfoundation.org/UA/', 'urn:b', 'urn:a'])).toBe('ns=1;s=X');
    expect(nodeIdForServer(id, ['http://opcfoundation.org/UA/'])).toBeUndefined();
  });
});

describe('compileOpcUaMapping', () => {
  const mapping: OpcUaMapping = {
    publish: { heartbeatSeconds: 30 },
    groups: [
      {
        name: 'sub',
        mode: 'subscription',
        publishingIntervalMs: 250,
        deadband: { type: 'absolute', value: 0.5 },
        tags: [{ name: 'a', nodeId: 'ns=2;s=A', publish: { mode: 'always' } }],
      },
      {
        name: 'poll',
        mode: 'poll',
        publish: { deadband: 2 },
        tags: [{ name: 'b', nodeId: 'i=2258', unit: 'bar', scale: 2 }],
      },
    ],
  };

  it('merges publish layers and group defaults, and decodes sparse readings', () => {
    const compiled = compileOpcUaMapping(mapping, { name: 'dev', pollIntervalMs: 700 });
    expect(compiled.tags.map((t) => t.publish)).toEqual([
      { mode: 'always', deadband: 0, heartbeatMs: 30_000 },
      { mode: 'change', deadband: 2, heartbeatMs: 30_000 },
    ]);
    expect(compiled.groups).toEqual([
      {
        mode: 'subscription',
        name: 'sub',
        publishingIntervalMs: 250,
        samplingIntervalMs: 250,
        queueSize: 1,
        deadband: { type: 'absolute', value: 0.5 },
        tags: [0],
      },
      { mode: 'poll', name: 'poll', pollIntervalMs: 700, tags: [1] },
    ]);
    const samples = compiled.decode({
      ts: 9,
      results: [{ tag: 1, dataValue: { value: { dataType: 6, value: 21 } } }],
    });
    expect(samples).toHaveLength(2);
    expect(samples[0]).toBeUndefined();
    expect(samples[1]).toEqual({ tag: 'b', value: 42, quality: 'good', ts: 9 });
    expect(compiled.decode({ ts: 9, results: [{ tag: 0, error: 'gone', code: 1 }] })[0]).toEqual({
      tag: 'a',
      value: null,
      quality: 'bad',
      ts: 9,
      error: 'gone',
      code: 1,
    });
  });

  it('refuses duplicate tag names and bad node ids, naming device and tag', () => {
    const dup: OpcUaMapping = {
      groups: [
        {
          name: 'g',
          mode: 'poll',
          tags: [
            { name: 'x', nodeId: 'i=1' },
            { name: 'x', nodeId: 'i=2' },
          ],
        },
      ],
    };
    expect(() => compileOpcUaMapping(dup, { name: 'dev' })).toThrow(
      'OPC UA device "dev": tag "x" (group "g"): the name is used twice',
    );
    const badId: OpcUaMapping = {
      groups: [{ name: 'g', mode: 'poll', tags: [{ name: 'y', nodeId: 'ns=1;z=2' }] }],
    };
    expect(() => compileOpcUaMapping(badId, { name: 'dev' })).toThrow(
      'tag "y" (group "g"): node id "ns=1;z=2"',
    );
  });
});

describe('opcUaDeviceProblems', () => {
  const base = { name: 'd', driver: 'opcua' as const, endpoint: 'opc.tcp://h:4840', mapping: 'm.json' };
  it('needs explicit consent for None and for deprecated policies', () => {
    expect(opcUaDeviceProblems(base)).toEqual([]);
    expect(opcUaDeviceProblems({ ...base, securityMode: 'None' })[0]?.message).toContain(
      '"allowInsecure": true',
    );
    expect(opcUaDeviceProblems({ ...base, securityMode: 'None', allowInsecure: true })).toEqual([]);
    expect(opcUaDeviceProblems({ ...base, securityPolicy: 'Basic256' })[0]?.pointer).toBe('/securityPolicy');
    expect(
      opcUaDeviceProblems({ ...base, securityPolicy: 'Basic256', allowDeprecatedSecurity: true }),
    ).toEqual([]);
  });
});

describe('mappingFromBrowse', () => {
  it('writes nsu= ids and unique, topic-safe tag names', () => {
    expect(tagNameFromPath(['Line 1', 'Speed#'])).toBe('Line_1.Speed_');
    const mapping = mappingFromBrowse(
      [
        { path: ['A', 'x'], nodeId: 'ns=2;s=A.x' },
        { path: ['A', 'x'], nodeId: 'ns=2;s=A.x2' },
        { path: ['ServerStatus'], nodeId: 'i=2256' },
      ],
      ['http://opcfoundation.org/UA/', 'urn:s', 'urn:plant'],
      'test',
    );
    expect(mapping.groups[0]?.tags).toEqual([
      { name: 'A.x', nodeId: 'nsu=urn:plant;s=A.x' },
      { name: 'A.x_2', nodeId: 'nsu=urn:plant;s=A.x2' },
      { name: 'ServerStatus', nodeId: 'i=2256' },
    ]);
  });
});

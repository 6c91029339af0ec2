/**
 * Generates the Node-RED flow for a workload: per device one modbus-client (node-red-contrib-modbus) with
 * one modbus-read node per read (the same address split fieldbridge's planner makes), a function node
 * that builds the same JSON payloads fieldbridge publishes, and one shared mqtt-out node at QoS 1.
 * That is the flow a Node-RED user would draw for this job.
 *
 * The function nodes number messages per topic (`seq`, from 1) so the subscriber can count loss and
 * duplicates, and stamp `tsMs` when the read's response arrives (Node-RED has no earlier hook).
 */
import { deviceName, readsPerDevice, TOPIC_PREFIX, type Workload } from '../workload.ts';

const BLOCK_FUNCTION = `
let seqs = context.get('seq');
if (seqs === undefined) { seqs = {}; context.set('seq', seqs); }
const seq = (seqs[msg.topic] || 0) + 1;
seqs[msg.topic] = seq;
const now = Date.now();
const data = msg.payload;
const tags = {};
for (let i = 0; i < data.length; i++) tags['r' + i] = { value: data[i], quality: 'good' };
const device = msg.topic.slice(msg.topic.indexOf('/') + 1);
return { topic: msg.topic, payload: JSON.stringify({ seq, device, ts: new Date(now).toISOString(), tsMs: now, tags }) };
`;

const PER_TAG_FUNCTION = `
let seqs = context.get('seq');
if (seqs === undefined) { seqs = {}; context.set('seq', seqs); }
const colon = msg.topic.indexOf(':');
const prefix = msg.topic.slice(0, colon) + '/t';
const first = Number(msg.topic.slice(colon + 1));
const now = Date.now();
const ts = new Date(now).toISOString();
const data = msg.payload;
const word = Buffer.alloc(4);
const out = [];
for (let i = 0; i + 1 < data.length; i += 2) {
  word.writeUInt16BE(data[i], 0);
  word.writeUInt16BE(data[i + 1], 2);
  const topic = prefix + (first + i / 2);
  const seq = (seqs[topic] || 0) + 1;
  seqs[topic] = seq;
  out.push({ topic, payload: JSON.stringify({ seq, value: word.readFloatBE(0), quality: 'good', ts, tsMs: now }) });
}
return [out];
`;

export interface FlowOptions {
  readonly workload: Workload;
  readonly ports: readonly number[];
  readonly brokerPort: number;
  readonly mqttVersion: 4 | 5;
}

export function nodeRedFlow(options: FlowOptions): unknown[] {
  const { workload: w } = options;
  const tab = 'bench-tab';
  const nodes: unknown[] = [
    { id: tab, type: 'tab', label: 'fieldbridge comparison', disabled: false, info: '' },
    {
      id: 'bench-broker',
      type: 'mqtt-broker',
      name: 'bench mosquitto',
      broker: '127.0.0.1',
      port: String(options.brokerPort),
      clientid: `nodered-bench-${process.pid}`,
      autoConnect: true,
      usetls: false,
      protocolVersion: String(options.mqttVersion),
      keepalive: '60',
      cleansession: true,
      autoUnsubscribe: true,
      birthTopic: '',
      closeTopic: '',
      willTopic: '',
    },
    {
      id: 'bench-out',
      type: 'mqtt out',
      z: tab,
      name: 'publish QoS 1',
      topic: '',
      qos: '1',
      retain: 'false',
      respTopic: '',
      contentType: '',
      userProps: '',
      correl: '',
      expiry: '',
      broker: 'bench-broker',
      wires: [],
    },
  ];
  const reads = readsPerDevice(w);
  for (let d = 0; d < w.devices; d++) {
    const name = deviceName(d);
    const client = `client-${name}`;
    const fn = `fn-${name}`;
    nodes.push({
      id: client,
      type: 'modbus-client',
      name,
      clienttype: 'tcp',
      bufferCommands: true,
      stateLogEnabled: false,
      queueLogEnabled: false,
      failureLogEnabled: false,
      tcpHost: '127.0.0.1',
      tcpPort: String(options.ports[d]),
      tcpType: 'DEFAULT',
      serialPort: '/dev/ttyUSB',
      serialType: 'RTU-BUFFERD',
      serialBaudrate: '9600',
      serialDatabits: '8',
      serialStopbits: '1',
      serialParity: 'none',
      serialConnectionDelay: '100',
      serialAsciiResponseStartDelimiter: '0x3A',
      unit_id: '1',
      commandDelay: '1',
      clientTimeout: '1000',
      reconnectOnTimeout: true,
      reconnectTimeout: '2000',
      parallelUnitIdsAllowed: true,
      showErrors: false,
      showWarnings: true,
      showLogs: false,
    });
    nodes.push({
      id: fn,
      type: 'function',
      z: tab,
      name: `${name} payloads`,
      func: w.mode === 'block' ? BLOCK_FUNCTION : PER_TAG_FUNCTION,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      wires: [['bench-out']],
    });
    reads.forEach((read, r) => {
      const topic =
        w.mode === 'block' ? `${TOPIC_PREFIX}/${name}-b${r}` : `${TOPIC_PREFIX}/${name}:${read.address / 2}`;
      nodes.push({
        id: `read-${name}-${r}`,
        type: 'modbus-read',
        z: tab,
        name: '',
        topic,
        showStatusActivities: false,
        logIOActivities: false,
        showErrors: false,
        showWarnings: true,
        unitid: '1',
        dataType: 'HoldingRegister',
        adr: String(read.address),
        quantity: String(read.count),
        rate: String(w.pollIntervalMs),
        rateUnit: 'ms',
        delayOnStart: false,
        startDelayTime: '',
        server: client,
        useIOFile: false,
        ioFile: '',
        useIOForPayload: false,
        emptyMsgOnFail: false,
        wires: [[fn], []],
      });
    });
  }
  return nodes;
}

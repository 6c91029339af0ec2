/**
 * Child-process script for lazy-opcua.test.ts: records every module the process resolves (module.registerHooks
 * sees both `import` and `require`, so node-opcua's CommonJS dependencies count too), then builds and
 * starts a Gateway with one device of the driver given as argv[2] and prints, as one JSON line, every
 * resolved URL containing "node-opcua".
 */
import { registerHooks } from 'node:module';

const resolved: string[] = [];
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    resolved.push(result.url);
    return result;
  },
});

const driver = process.argv[2];
const { Gateway } = await import('../../../gateway/gateway.ts');
const { compileDevice } = await import('../../../gateway/devices/registry.ts');
const { createLogger } = await import('../../../gateway/log.ts');
const { Writable } = await import('node:stream');
const stateDir = process.argv[3] ?? '.';

const device =
  driver === 'opcua'
    ? ({
        name: 'probe',
        driver: 'opcua',
        endpoint: 'opc.tcp://127.0.0.1:1',
        securityMode: 'None',
        allowInsecure: true,
        mapping: 'm.json',
      } as const)
    : ({ name: 'probe', driver: 'modbus-tcp', host: '127.0.0.1', port: 1, mapping: 'm.json' } as const);
const loadedDevice =
  device.driver === 'opcua'
    ? {
        kind: 'opcua' as const,
        config: device,
        mappingFile: 'm.json',
        mapping: { groups: [{ name: 'g', mode: 'poll' as const, tags: [{ name: 't', nodeId: 'i=2258' }] }] },
      }
    : {
        kind: 'modbus' as const,
        config: device,
        mappingFile: 'm.json',
        mapping: { tags: [{ name: 't', area: 'holding' as const, address: 0, type: 'uint16' as const }] },
      };
const silent = () => createLogger({ destination: new Writable({ write: (_c, _e, done) => done() }) });
await compileDevice(loadedDevice, silent());
const gateway = new Gateway({
  loaded: {
    file: 'probe.json',
    config: { mqtt: { url: 'mqtt://127.0.0.1:1' }, queue: { type: 'memory' }, devices: [device] },
    devices: [loadedDevice],
  },
  log: silent(),
  env: { STATE_DIRECTORY: stateDir },
});
await gateway.start();
// The OPC UA driver imports node-opcua on its first connection attempt, just after start().
await new Promise((resolve) => setTimeout(resolve, 1000));
await gateway.stop();
console.log(JSON.stringify(resolved.filter((url) => url.includes('node-opcua'))));
process.exit(0);

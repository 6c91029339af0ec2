/**
 * Acceptance: Modbus TCP, RTU on a pty line (two units), RTU over TCP through `fieldbridge run`, against
 * our own simulators (simulators/modbus/simulator.ts, rtu-simulator.ts) serving known registers.
 */

import { RtuSlaveSimulator } from '../../simulators/modbus/rtu-simulator.ts';
import { ModbusTcpSimulator } from '../../simulators/modbus/simulator.ts';
import { describeModbusAcceptance, loadImage } from './modbus-scenario.ts';

describeModbusAcceptance('our simulators', async (serialPeerPath, images) => {
  const tcp = new ModbusTcpSimulator({ unitIds: [1] });
  loadImage(tcp.unit(1), images.A);
  const line = new RtuSlaveSimulator([1, 2]);
  loadImage(line.unit(1), images.A);
  loadImage(line.unit(2), images.B);
  const serialServer = new RtuSlaveSimulator([3]);
  loadImage(serialServer.unit(3), images.B);
  const { port: tcpPort } = await tcp.listen();
  await line.openSerial(serialPeerPath);
  const { port: rtuTcpPort } = await serialServer.listenTcp();
  return {
    tcpPort,
    rtuTcpPort,
    close: async () => {
      await Promise.all([tcp.close(), line.close(), serialServer.close()]);
    },
  };
});

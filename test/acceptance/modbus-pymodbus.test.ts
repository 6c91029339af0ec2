/**
 * Acceptance: the same Modbus scenario against an independent implementation, Debian's pymodbus 3.0 in
 * its own process (./peers/pymodbus_server.py): Modbus TCP, RTU on the pty line (its serial server, two
 * units) and RTU framing over TCP.
 */
import { describeModbusAcceptance } from './modbus-scenario.ts';
import { startPymodbus } from './peers/pymodbus.ts';

describeModbusAcceptance('pymodbus (an independent Modbus server)', async (serialPeerPath, images) => {
  const server = await startPymodbus({
    tcp: { 1: images.A },
    rtuTcp: { 3: images.B },
    serial: { port: serialPeerPath, units: { 1: images.A, 2: images.B } },
  });
  return {
    tcpPort: server.tcpPort ?? 0,
    rtuTcpPort: server.rtuTcpPort ?? 0,
    close: () => server.close(),
  };
});

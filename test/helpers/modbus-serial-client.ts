/**
 * modbus-serial is CommonJS and its typings say `export default ModbusRTU`. Under NodeNext a default
 * import yields `module.exports`, which TypeScript types as the whole module; the package also sets
 * `module.exports.default = module.exports`, so `.default` is the class both for the type checker and
 * at run time. Everything else imports the client from here.
 */
import modbusSerial from 'modbus-serial';

export const ModbusClient = modbusSerial.default;
export type ModbusClient = InstanceType<typeof ModbusClient>;

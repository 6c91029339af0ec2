/**
 * Which mapping format a device's mapping file is in. A mapping file has no "driver" of its own: its
 * format is that of the devices that name it, so the loader validates it against their protocol's schema.
 */
import type { DeviceConfig } from './schema.ts';

export type MappingKind = 'modbus' | 'opcua';

const KIND_BY_DRIVER: { readonly [D in DeviceConfig['driver']]: MappingKind } = {
  'modbus-tcp': 'modbus',
  'modbus-rtu': 'modbus',
  'modbus-rtu-tcp': 'modbus',
  opcua: 'opcua',
};

/** "Modbus", "OPC UA": how messages name a format. */
export const KIND_NAMES: { readonly [K in MappingKind]: string } = { modbus: 'Modbus', opcua: 'OPC UA' };

/** undefined for a driver the gateway does not know (reported by the schema check). */
export function mappingKindOf(driver: unknown): MappingKind | undefined {
  return typeof driver === 'string' && Object.hasOwn(KIND_BY_DRIVER, driver)
    ? KIND_BY_DRIVER[driver as DeviceConfig['driver']]
    : undefined;
}

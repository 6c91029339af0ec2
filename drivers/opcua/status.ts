/** The few StatusCodes the driver reports itself (OPC UA Part 6, StatusCode.csv), and how it names them. */
type OpcUa = typeof import('node-opcua-client');

export const BAD_NODE_ID_UNKNOWN = 0x80340000;
export const BAD_NOT_CONNECTED = 0x808a0000;
export const BAD_CERTIFICATE_UNTRUSTED = 0x801a0000;

/** node-opcua's name for a StatusCode value, when it knows the code. */
export function statusName(opcua: OpcUa, code: number): string | undefined {
  const found = Object.entries(opcua.StatusCodes).find(([, status]) => status.value >>> 0 === code >>> 0);
  return found?.[0];
}

/** "BadCertificateUntrusted (0x801a0000)", or the hex alone for a code node-opcua does not know. */
export function formatCode(code: number, name: string | undefined): string {
  const hex = `0x${(code >>> 0).toString(16).padStart(8, '0')}`;
  return name === undefined ? hex : `${name} (${hex})`;
}

/** The few StatusCodes the driver reports itself (OPC UA Part 6, StatusCode.csv). */
export const BAD_NODE_ID_UNKNOWN = 0x80340000;
export const BAD_NOT_CONNECTED = 0x808a0000;
export const BAD_CERTIFICATE_UNTRUSTED = 0x801a0000;

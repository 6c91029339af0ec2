"""An independent Modbus server for the acceptance suite: Debian's pymodbus 3.0 (python3-pymodbus), run
with /usr/bin/python3. It serves known register values so that the gateway's decoding is checked
against a Modbus implementation that shares no code with fieldbridge.

    /usr/bin/python3 pymodbus_server.py <spec.json>

spec.json names the servers to start and what each unit holds (every key optional):

    {"tcp":    {"units": {"1": UNIT}},                      Modbus TCP (MBAP framing) on 127.0.0.1
     "rtuTcp": {"units": {"3": UNIT}},                      RTU framing over TCP (a serial server)
     "serial": {"port": "/path/to/pty", "units": {...}}}    RTU on a serial port (one end of a pty pair)
    UNIT = {"holding": {"0": 16320, ...}, "input": {...}, "coil": {"0": 1}, "discrete": {...}}

Addresses are zero-based protocol offsets (zero_mode: request address 0 is the first value). Once
everything listens it prints one JSON line, {"tcp": <port>, "rtuTcp": <port>, "serial": "<port>"}, and
serves until SIGTERM or until stdin is closed (the test process went away).
"""

import asyncio
import json
import signal
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.framer.socket_framer import ModbusSocketFramer
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer

ADDRESS_SPACE = 65536


def block(values):
    data = [0] * ADDRESS_SPACE
    for address, value in (values or {}).items():
        data[int(address)] = int(value)
    return ModbusSequentialDataBlock(0, data)


def server_context(units):
    slaves = {
        int(unit_id): ModbusSlaveContext(
            hr=block(unit.get("holding")),
            ir=block(unit.get("input")),
            co=block(unit.get("coil")),
            di=block(unit.get("discrete")),
            zero_mode=True,
        )
        for unit_id, unit in units.items()
    }
    return ModbusServerContext(slaves=slaves, single=False)


async def start_tcp(spec, framer):
    # ignore_missing_slaves: a unit that is not configured stays silent, like a missing RTU slave.
    server = ModbusTcpServer(
        server_context(spec["units"]),
        framer=framer,
        address=("127.0.0.1", 0),
        ignore_missing_slaves=True,
    )
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    return server, task, server.server.sockets[0].getsockname()[1]


async def start_serial(spec):
    # Parity none: on a Linux pty, pyserial's second tcsetattr with PARENB set (serial-asyncio sets the
    # timeout after opening) fails with EINVAL. A pty carries bytes, not bits, so no parity is lost.
    server = ModbusSerialServer(
        server_context(spec["units"]),
        framer=ModbusRtuFramer,
        port=spec["port"],
        baudrate=spec.get("baudrate", 19200),
        parity=spec.get("parity", "N"),
        ignore_missing_slaves=True,
    )
    await server.start()
    if server.transport is None:
        raise RuntimeError(f"could not open serial port {spec['port']}")
    return server


async def main(spec_path):
    with open(spec_path, encoding="utf-8") as file:
        spec = json.load(file)
    ready = {}
    servers = []
    if "tcp" in spec:
        server, _, ready["tcp"] = await start_tcp(spec["tcp"], ModbusSocketFramer)
        servers.append(server)
    if "rtuTcp" in spec:
        server, _, ready["rtuTcp"] = await start_tcp(spec["rtuTcp"], ModbusRtuFramer)
        servers.append(server)
    if "serial" in spec:
        servers.append(await start_serial(spec["serial"]))
        ready["serial"] = spec["serial"]["port"]

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    # stdin reaching EOF means the test process is gone: do not outlive it.
    loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.read(1) or stop.set())
    print(json.dumps(ready), flush=True)
    await stop.wait()
    for server in servers:
        await server.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

"""A WebSocket client of node b whose hub (the relay fixture's relay_hub) runs on node a: join,
echo, raw text and binary frames, heartbeats, ws.control to a process spawned on a, and ws.close
from a. Standard library only; loopback. Usage: relay_across.py PORT. Prints one JSON object."""
import json, os, struct, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Support"))
import rawws  # noqa: E402

PORT = int(sys.argv[1])


def connect(path):
    return rawws.connect(PORT, path, origin="https://allowed.example")


def read(s):
    """The next data or close frame: (opcode, payload); pings are answered."""
    while True:
        opcode, data = rawws.read_frame(s)
        if opcode != 9:
            return opcode, data
        send(s, 0xA, data)


def send(s, opcode, payload):
    s.sendall(rawws.frame(opcode, payload))


def message(s):
    opcode, data = read(s)
    return json.loads(data) if opcode == 1 else {"opcode": opcode, "data": data.hex()}


r = {}
s = connect("/ws/connect")
r["joined"] = message(s)
send(s, 1, b"hello")
r["echo"] = message(s)
send(s, 1, b"raw:plain text")
r["raw"] = read(s)[1].decode()
send(s, 2, b"\x00\xffbin")
opcode, data = read(s)
r["binary"] = {"opcode": opcode, "data": data.hex()}
send(s, 1, b"retarget")
r["retarget"] = message(s)
send(s, 1, b"to the side")
r["side"] = message(s)
s.close()

h = connect("/ws/heartbeat")
message(h)  # joined
r["heartbeat"] = message(h)
send(h, 1, b"close")
opcode, data = read(h)
r["close"] = {"opcode": opcode, "code": struct.unpack(">H", data[:2])[0] if len(data) >= 2 else None, "reason": data[2:].decode()}
h.close()
print(json.dumps(r))

"""A WebSocket client of node b whose hub (the relay fixture's relay_hub) runs on node a: join,
echo, raw text and binary frames, heartbeats, ws.control to a process spawned on a, and ws.close
from a. Standard library only; loopback. Usage: relay_across.py PORT. Prints one JSON object."""
import base64, json, os, socket, struct, sys

PORT = int(sys.argv[1])


def connect(path):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=30)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://allowed.example\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert b" 101 " in head.split(b"\r\n")[0], head
    return s


def exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return out


def read(s):
    """The next data or close frame: (opcode, payload); pings are answered."""
    while True:
        first, second = exact(s, 2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack(">H", exact(s, 2))[0]
        elif length == 127:
            length = struct.unpack(">Q", exact(s, 8))[0]
        data = exact(s, length)
        if first & 0x0F == 9:
            send(s, 0xA, data)
            continue
        return first & 0x0F, data


def send(s, opcode, payload):
    mask = os.urandom(4)
    header = bytes([0x80 | opcode, 0x80 | len(payload)])
    s.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


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

"""Two WebSocket sessions against the metrics fixture, with nothing but the standard library:
the first sends three text frames, reads their echoes and closes with 1000; the second sends one,
reads it and drops the socket without a close frame (the server counts 1006).
Usage: ws_client.py PORT"""
import base64, os, socket, struct, sys

def session(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return s

def send(s, opcode, payload):
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    s.sendall(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

def receive(s):
    first, second = s.recv(1)[0], s.recv(1)[0]
    length = second & 0x7F
    if length == 126:
        length = struct.unpack(">H", s.recv(2))[0]
    data = b""
    while len(data) < length:
        data += s.recv(length - len(data))
    return first & 0x0F, data

port = int(sys.argv[1])
s = session(port)
for text in ["one", "two", "three"]:
    send(s, 1, text.encode())
    opcode, data = receive(s)
    assert opcode == 1 and text.encode() in data, (opcode, data)
send(s, 8, struct.pack(">H", 1000))
opcode, data = receive(s)
assert opcode == 8, opcode
s.close()
s = session(port)
send(s, 1, b"four")
opcode, data = receive(s)
assert opcode == 1 and b"four" in data, (opcode, data)
s.close()
print("ok")

"""One client floods the seed's chat hub with large messages while listeners read.

Usage: python3 chat_flood.py PORT [LISTENERS] [SECONDS] [MESSAGE_BYTES]
Raw sockets, no dependencies. Prints one JSON line: frames sent, frames each listener got, and how
the connections ended. Loopback only; bounded in time.
"""
import base64
import json
import os
import socket
import struct
import sys
import threading
import time

PORT = int(sys.argv[1])
LISTENERS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 10
SIZE = int(sys.argv[4]) if len(sys.argv) > 4 else 60000


def connect():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=30)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /api/v1/ws/connect HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            raise RuntimeError("closed during the handshake")
        head += chunk
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise RuntimeError(head.decode(errors="replace"))
    return s


def text_frame(text):
    """A masked text frame (made once: masking in Python is slow, and the flood must be fast)."""
    data = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(data) < 126:
        header += bytes([0x80 | len(data)])
    elif len(data) < 65536:
        header += bytes([0x80 | 126]) + struct.pack(">H", len(data))
    else:
        header += bytes([0x80 | 127]) + struct.pack(">Q", len(data))
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def read_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return out


def read_frame(s):
    first, second = read_exact(s, 2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack(">H", read_exact(s, 2))[0]
    elif length == 127:
        length = struct.unpack(">Q", read_exact(s, 8))[0]
    return first & 0x0F, read_exact(s, length)


def listen(s, counts, index, ended, stop):
    s.settimeout(1)
    while not stop.is_set():
        try:
            opcode, payload = read_frame(s)
        except socket.timeout:
            continue
        except (EOFError, OSError):
            ended[index] = "eof"
            return
        if opcode == 8:
            ended[index] = f"close {struct.unpack('>H', payload[:2])[0] if len(payload) >= 2 else ''}"
            return
        if opcode == 1:
            counts[index] += 1


def main():
    listeners = [connect() for _ in range(LISTENERS)]
    counts, ended, stop = [0] * LISTENERS, [None] * LISTENERS, threading.Event()
    threads = [threading.Thread(target=listen, args=(s, counts, i, ended, stop), daemon=True) for i, s in enumerate(listeners)]
    for t in threads:
        t.start()
    sender = connect()
    # The sender reads its own echoes too; one that falls behind is closed (1008) like any reader.
    # It stops sending once it sees that close: frames written after it are discarded unread.
    sender_closed = threading.Event()

    def read_echoes():
        try:
            while read_frame(sender)[0] != 8:
                pass
        except (EOFError, OSError):
            pass
        sender_closed.set()

    threading.Thread(target=read_echoes, daemon=True).start()
    frame = text_frame(json.dumps({"type": "chat", "message": "x" * SIZE}))
    sent, deadline = 0, time.time() + SECONDS
    try:
        while time.time() < deadline and not sender_closed.is_set():
            sender.sendall(frame)
            sent += 1
    except OSError as error:
        ended.append(f"sender: {error}")
    if sender_closed.is_set() and time.time() < deadline:
        ended.append("sender: closed by the server")
    time.sleep(2)
    stop.set()
    for t in threads:
        t.join(timeout=5)
    for s in listeners + [sender]:
        s.close()
    print(json.dumps({"sent": sent, "received": counts, "ended": ended}))


main()

"""One client floods the seed's chat hub with large messages while listeners read.

Usage: python3 chat_flood.py PORT [LISTENERS] [SECONDS] [MESSAGE_BYTES]
Raw sockets, no dependencies. Prints one JSON line: frames sent, frames each listener got, and how
the connections ended. Loopback only; bounded in time.
"""
import json
import socket
import os
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Support"))
import rawws  # noqa: E402

PORT = int(sys.argv[1])
LISTENERS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 10
SIZE = int(sys.argv[4]) if len(sys.argv) > 4 else 60000


def connect():
    return rawws.connect(PORT, "/api/v1/ws/connect")


def text_frame(text):
    """A masked text frame (made once: masking in Python is slow, and the flood must be fast)."""
    return rawws.frame(1, text.encode())


read_frame = rawws.read_frame


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

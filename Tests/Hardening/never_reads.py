"""A WebSocket client that never reads: handshake on /ws/connect, one masked text frame "flood"
(the relay fixture's hub then sends it 80,000 frames of 1 KiB), then nothing until it is killed.
Usage: python3 never_reads.py PORT"""
import socket
import sys
import time

s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(b"GET /ws/connect HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
time.sleep(0.3)
mask = b"\x01\x02\x03\x04"
payload = bytes(b ^ mask[i % 4] for i, b in enumerate(b"flood"))
s.sendall(b"\x81\x85" + mask + payload)
time.sleep(600)

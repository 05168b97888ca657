"""A WebSocket client with nothing but the standard library, for tests and benchmarks that talk to
a runtime on loopback: the upgrade, masked client frames, and server frames read back. Both a
blocking form (sockets) and an asyncio form (streams)."""
import base64, os, socket, struct


def upgrade_request(path, port, origin=None):
    key = base64.b64encode(os.urandom(16)).decode()
    extra = f"Origin: {origin}\r\n" if origin else ""
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()


def check_upgrade(head):
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise RuntimeError(head.decode(errors="replace")[:300])


def frame(opcode, payload):
    """A masked client frame."""
    mask = os.urandom(4)
    header = bytes([0x80 | opcode])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    elif len(payload) < 65536:
        header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
    else:
        header += bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _length(second, read):
    length = second & 0x7F
    if length == 126:
        return struct.unpack(">H", read(2))[0]
    if length == 127:
        return struct.unpack(">Q", read(8))[0]
    return length


# ---- blocking ----------------------------------------------------------------------------------

def connect(port, path, origin=None, timeout=30):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(upgrade_request(path, port, origin))
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            raise RuntimeError("closed during the handshake")
        head += chunk
    check_upgrade(head)
    return s


def read_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise EOFError
        out += chunk
    return out


def read_frame(s):
    """The next frame: (opcode, payload)."""
    first, second = read_exact(s, 2)
    return first & 0x0F, read_exact(s, _length(second, lambda n: read_exact(s, n)))


# ---- asyncio -----------------------------------------------------------------------------------

async def open_async(port, path, origin=None):
    """(reader, writer) of an upgraded connection."""
    import asyncio
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(upgrade_request(path, port, origin))
    check_upgrade(await reader.readuntil(b"\r\n\r\n"))
    return reader, writer


async def read_frame_async(reader):
    """The next frame: (opcode, payload)."""
    first, second = await reader.readexactly(2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack(">H", await reader.readexactly(2))[0]
    elif length == 127:
        length = struct.unpack(">Q", await reader.readexactly(8))[0]
    return first & 0x0F, await reader.readexactly(length)

"""The seed's chat app on three cluster nodes, driven as users would: real WebSocket clients
(standard library only, asyncio), one node killed with SIGKILL and restarted.

Usage: python3 chat_scenario.py WIPPY APP POSTGRES_URL [CLIENTS] [LEASE_SECONDS]

Starts three `wippy run APP --cluster URL --node nN` on loopback (the hub's name my_ws_hub is
global), then:
  1. CLIENTS clients spread over the nodes; each sends 2 chat messages; every client must get every
     message once, in order per sender.
  2. SIGKILL of a node that does not host the hub: its clients see their sockets end; the hub must
     log "Client left" for each of them within the lease; the others chat again, completely.
  3. The killed node restarts and rejoins; new clients on it chat with everyone.
Prints one JSON object with what it saw; the Swift test asserts on it. Loopback only.
"""
import asyncio, json, os, re, signal, socket, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Support"))
import rawws  # noqa: E402

WIPPY, APP, URL = sys.argv[1], sys.argv[2], sys.argv[3]
CLIENTS = int(sys.argv[4]) if len(sys.argv) > 4 else 300
LEASE = float(sys.argv[5]) if len(sys.argv) > 5 else 4
MESSAGES = 2
TIMEOUT = 120


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, index, port):
        self.name, self.port = f"n{index}", port
        self.log_path = f"/tmp/wippy-cluster-{os.getpid()}-{self.name}.log"
        self.process = None

    def start(self):
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [WIPPY, "run", APP, "--addr", f"127.0.0.1:{self.port}", "--cluster", URL, "--node", self.name,
             "--lease", f"{LEASE}s", "--global-name", "my_ws_hub"],
            stdout=self.log, stderr=subprocess.STDOUT)

    def text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    async def wait_for(self, pattern, timeout=TIMEOUT):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if re.search(pattern, self.text()):
                return True
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.text()[-2000:]}")
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{self.name}: no {pattern!r} in {timeout}s")


class Client:
    def __init__(self, ident, node):
        self.ident, self.node = ident, node
        self.received = []  # chat message texts, in arrival order
        self.pid = None
        self.ended = None
        self.welcomed = asyncio.Event()

    async def connect(self):
        self.reader, self.writer = await rawws.open_async(self.node.port, "/api/v1/ws/connect")
        self.task = asyncio.create_task(self.read())

    async def read(self):
        try:
            while True:
                opcode, data = await rawws.read_frame_async(self.reader)
                if opcode == 8:
                    self.ended = "close"
                    return
                if opcode == 9:  # ping → pong
                    self.writer.write(rawws.frame(0xA, data))
                    continue
                if opcode != 1:
                    continue
                message = json.loads(data)
                if message["topic"] == "welcome":
                    self.welcomed.set()
                elif message["topic"] == "chat":
                    self.received.append(message["data"]["message"])
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self.ended = "eof"

    def say(self, text):
        self.writer.write(rawws.frame(1, json.dumps({"type": "chat", "message": text}).encode()))

    def close(self):
        self.writer.close()


async def connect_all(clients):
    for start in range(0, len(clients), 50):
        await asyncio.gather(*(c.connect() for c in clients[start:start + 50]))
    await asyncio.wait_for(asyncio.gather(*(c.welcomed.wait() for c in clients)), TIMEOUT)


async def chat_round(label, clients):
    """Every client says MESSAGES lines; checks that each client got each line once, in order."""
    for c in clients:
        c.received = []
    expected = {f"{label}:{c.ident}#{k}" for c in clients for k in range(MESSAGES)}
    for k in range(MESSAGES):
        for c in clients:
            c.say(f"{label}:{c.ident}#{k}")
        await asyncio.gather(*(c.writer.drain() for c in clients))
    deadline = time.time() + TIMEOUT
    while time.time() < deadline and any(len(c.received) < len(expected) for c in clients if c.ended is None):
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # duplicates, if any, would arrive now
    report = {"clients": len(clients), "expected_each": len(expected), "complete": 0, "missing": 0,
              "duplicates": 0, "out_of_order": 0, "foreign": 0, "ended": 0}
    for c in clients:
        if c.ended is not None:
            report["ended"] += 1
        got = [m for m in c.received if m.startswith(label + ":")]
        report["foreign"] += len(c.received) - len(got)
        report["missing"] += len(expected - set(got))
        report["duplicates"] += len(got) - len(set(got))
        last = {}
        for m in got:
            sender, k = m[len(label) + 1:].split("#")
            if int(k) < last.get(sender, -1):
                report["out_of_order"] += 1
            last[sender] = int(k)
        if set(got) == expected and len(got) == len(expected):
            report["complete"] += 1
    return report


async def main():
    nodes = [Node(i, free_port()) for i in (1, 2, 3)]
    result = {}
    try:
        for node in nodes:
            node.start()
        for node in nodes:
            await node.wait_for(r"listening on 127\.0\.0\.1:")
        # The hub of the node that registered my_ws_hub first is the one every node finds.
        hub_node = None
        deadline = time.time() + TIMEOUT
        while hub_node is None and time.time() < deadline:
            rows = subprocess.run(["psql", URL, "-At", "-c", "SELECT node FROM wippy_names WHERE name = 'my_ws_hub'"],
                                  capture_output=True, text=True).stdout.split()
            hub_node = next((n for n in nodes if rows and n.name == rows[0]), None)
            await asyncio.sleep(0.1)
        result["hub_node"] = hub_node.name
        clients = [Client(i, nodes[i % 3]) for i in range(CLIENTS)]
        await connect_all(clients)
        result["round1"] = await chat_round("r1", clients)

        victim = next(n for n in reversed(nodes) if n is not hub_node)
        result["killed"] = victim.name
        doomed = [c for c in clients if c.node is victim]
        survivors = [c for c in clients if c.node is not victim]
        killed_at = time.time()
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait()
        await asyncio.sleep(0.5)
        result["doomed_ended"] = sum(1 for c in doomed if c.ended is not None)
        # The hub logs "Client left: <pid>" for each; their PIDs carry the killed node's name.
        left = 0
        while time.time() < killed_at + LEASE * 3:
            left = hub_node.text().count(f"Client left:\t{{{victim.name}@")
            if left >= len(doomed):
                break
            await asyncio.sleep(0.05)
        result["leaves_seen"] = left
        result["leave_seconds"] = round(time.time() - killed_at, 2)
        result["lease_seconds"] = LEASE
        result["round2"] = await chat_round("r2", survivors)

        victim.start()
        await victim.wait_for(r"joined the cluster as node .* \(incarnation 1")
        await asyncio.sleep(0.2)
        newcomers = [Client(CLIENTS + i, victim) for i in range(len(doomed))]
        await connect_all(newcomers)
        result["round3"] = await chat_round("r3", survivors + newcomers)
        for c in clients + newcomers:
            c.close()
    except Exception as error:  # reported, and the test fails on it
        result["error"] = f"{type(error).__name__}: {error}"
    finally:
        for node in nodes:
            if node.process and node.process.poll() is None:
                node.process.send_signal(signal.SIGINT)
        for node in nodes:
            if node.process:
                try:
                    result.setdefault("exit", {})[node.name] = node.process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    node.process.kill()
                    result.setdefault("exit", {})[node.name] = "killed after 60 s"
        result["logs"] = [n.log_path for n in nodes]
    print(json.dumps(result))


asyncio.run(main())

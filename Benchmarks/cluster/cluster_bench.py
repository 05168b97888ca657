"""Cluster benchmark (scripts/bench.sh): messages between two nodes through PostgreSQL, next to
the same on one node, and the seed's chat with its hub on another node than its clients.

Usage: python3 cluster_bench.py WIPPY [RUNS]
Starts its own PostgreSQL (scripts/postgres.sh) and runtimes on loopback; prints Markdown. Node a
runs on core 0, node b (the measuring one, or the chat clients' node) on core 1; PostgreSQL is
not pinned, and its CPU time over each measurement is reported.
"""
import asyncio, glob, json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

WIPPY = sys.argv[1]
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "Tests", "Support"))
import rawws  # noqa: E402
APP = os.path.join(HERE, "app")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_cpu(data):
    """CPU seconds used so far by every process of the server (postmaster and backends)."""
    with open(os.path.join(data, "postmaster.pid")) as f:
        root = int(f.readline())
    total = 0
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            pid, ppid = int(stat.split("/")[2]), int(fields[1])
            if pid == root or ppid == root:
                total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            pass
    return total / TICKS


def start_node(name, url, core, app, extra=(), http=False):
    log = tempfile.NamedTemporaryFile("w+", prefix=f"wippy-bench-{name}-", suffix=".log", delete=False)
    process = subprocess.Popen(["taskset", "-c", str(core), WIPPY, "run", app, "--cluster", url, "--node", name,
                                "--addr", f"127.0.0.1:{free_port()}", *extra], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        text = open(log.name).read()
        if "started" in text and ("listening on" in text or not http):
            return process, log.name
        if process.poll() is not None:
            raise RuntimeError(f"node {name} exited: {text[-2000:]}")
        time.sleep(0.05)
    raise RuntimeError(f"node {name} did not start")


def stop(process):
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


def measure(url, node, data):
    """-x bench:measure on `node` (core 1); its JSON line and PostgreSQL's CPU seconds meanwhile."""
    before = postgres_cpu(data)
    out = subprocess.run(["taskset", "-c", "1", WIPPY, "run", APP, "--cluster", url, "--node", node,
                          "--addr", f"127.0.0.1:{free_port()}", "-x", "bench:measure", "2000", "50000"],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:] + out.stdout[-2000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["postgres_cpu"] = postgres_cpu(data) - before
    return result


class ChatClient:
    def __init__(self, port):
        self.port, self.count, self.welcomed = port, 0, asyncio.Event()

    async def connect(self):
        self.reader, self.writer = await rawws.open_async(self.port, "/api/v1/ws/connect")
        asyncio.create_task(self.read())

    async def read(self):
        try:
            while True:
                _, data = await rawws.read_frame_async(self.reader)
                if b'"topic":"welcome"' in data:
                    self.welcomed.set()
                elif b'"topic":"chat"' in data:
                    self.count += 1
        except (asyncio.IncompleteReadError, ConnectionError):
            pass

    def say(self, text):
        self.writer.write(rawws.frame(1, json.dumps({"type": "chat", "message": text}).encode()))


async def chat(port, clients, messages):
    """`clients` clients on `port` each say `messages` lines; deliveries per second until all arrived."""
    fleet = [ChatClient(port) for _ in range(clients)]
    for c in fleet:
        await c.connect()
    await asyncio.wait_for(asyncio.gather(*(c.welcomed.wait() for c in fleet)), 60)
    expected = clients * messages
    started = time.perf_counter()
    for k in range(messages):
        for c in fleet:
            c.say(f"m{k}")
    while any(c.count < expected for c in fleet):
        if time.perf_counter() - started > 300:
            raise RuntimeError("chat deliveries did not complete in 300 s")
        await asyncio.sleep(0.005)
    seconds = time.perf_counter() - started
    for c in fleet:
        c.writer.close()
    return clients * expected / seconds


def main():
    data = tempfile.mkdtemp(prefix="wippy-bench-postgres-")
    os.chmod(data, 0o755)
    port = free_port()
    url = subprocess.run([os.path.join(ROOT, "scripts/postgres.sh"), "start", data, str(port)],
                         capture_output=True, text=True, check=True).stdout.strip()
    rows = {}
    try:
        # One node: the measuring runtime's own echo holds the name.
        rows["one node"] = [measure(url, "solo", data) for _ in range(RUNS)]
        # Two nodes: a (core 0) holds the echo; b (core 1) measures.
        a, _ = start_node("a", url, 0, APP)
        try:
            rows["two nodes"] = [measure(url, "b", data) for _ in range(RUNS)]
        finally:
            stop(a)
        # The seed's chat: the hub on a (core 0); the clients on a, then on b (core 1).
        chat_rows = {}
        a, _ = start_node("a", url, 0, os.path.join(ROOT, "apps"), ["--global-name", "my_ws_hub"], http=True)
        time.sleep(1)  # a's hub claims the name first
        b, _ = start_node("b", url, 1, os.path.join(ROOT, "apps"), ["--global-name", "my_ws_hub"], http=True)
        try:
            for label, node in (("clients on the hub's node", a), ("clients on another node", b)):
                results = []
                for _ in range(RUNS):
                    before = postgres_cpu(data)
                    started = time.time()
                    rate = asyncio.run(chat(node_port(node), 50, 20))
                    results.append((rate, (postgres_cpu(data) - before) / (time.time() - started)))
                chat_rows[label] = results
        finally:
            stop(a)
            stop(b)
    finally:
        subprocess.run([os.path.join(ROOT, "scripts/postgres.sh"), "stop", data])
        shutil.rmtree(data, ignore_errors=True)

    print("### Cluster: messages between nodes through PostgreSQL")
    print()
    print(f"Medians of {RUNS}. Node a on core 0, the measuring node b on core 1, PostgreSQL {postgres_version()}")
    print("(unpinned, on loopback, `fsync=off`) wherever the kernel puts it; its CPU is summed over the postmaster")
    print("and its backends during each measurement. A round trip is a ping answered by a pong, one at a time;")
    print("the stream is 50,000 one-way messages, timed until the echo confirms the last.")
    print()
    print("| | round trip | one-way messages/s | PostgreSQL CPU during the run |")
    print("|---|---:|---:|---:|")
    for label, results in rows.items():
        rtt = statistics.median(r["rtt_us"] for r in results)
        rate = statistics.median(r["messages_per_second"] for r in results)
        cpu = statistics.median(r["postgres_cpu"] for r in results)
        print(f"| {label} | {fmt_us(rtt)} | {rate:,.0f} | {cpu:.2f} s |")
    one, two = rows["one node"], rows["two nodes"]
    print()
    print(f"Across nodes a round trip costs {statistics.median(r['rtt_us'] for r in two) / statistics.median(r['rtt_us'] for r in one):,.0f}× "
          f"one inside a node, and the stream runs at {statistics.median(r['messages_per_second'] for r in two) / statistics.median(r['messages_per_second'] for r in one):.2f}× the local rate.")
    print()
    print("### Cluster: the seed's chat with its hub on another node")
    print()
    print("50 clients each say 20 lines at once (50,000 deliveries); deliveries/s until every client has every line.")
    print()
    print("| | deliveries/s | PostgreSQL CPU (cores) |")
    print("|---|---:|---:|")
    for label, results in chat_rows.items():
        print(f"| {label} | {statistics.median(r[0] for r in results):,.0f} | {statistics.median(r[1] for r in results):.2f} |")
    print()
    print("Where the ceiling is: a message between nodes is a `pg_notify` transaction on one side and a")
    print("notification to a listening session on the other, so a round trip is four trips through the server")
    print("and two commits. Throughput holds because each node packs whatever waits into as few notifications as")
    print("fit (about 5.8 KB each) and sends them in one statement. Direct connections between nodes would cut")
    print("the round trip to two loopback hops and take PostgreSQL out of every message (docs/cluster.md).")


def node_port(process):
    cmd = process.args
    return int(cmd[cmd.index("--addr") + 1].rsplit(":", 1)[1])


def fmt_us(us):
    return f"{us:,.1f} µs" if us < 1000 else f"{us / 1000:,.2f} ms"


def postgres_version():
    text = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout
    found = re.search(r"\d+\.\d+", text)
    return found.group(0) if found else "(version unknown)"


main()

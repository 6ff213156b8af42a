"""Private Redis servers on free loopback ports (offline runs, tests, benchmarks): one server,
a Redis Cluster of several masters, or a master with a replica watched by Sentinel.

Setting up the cluster and the sentinel speaks raw RESP over a socket, so this module needs no
Redis client."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from bot.errors import NewsbotError


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports (held open together, so none is given twice)."""
    probes = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


class LocalRedis:
    """A redis-server child process bound to 127.0.0.1; stopped on exit.

    `appendonly` keeps an AOF in `data_dir`, so a restart on the same folder loses nothing.
    """

    def __init__(
        self,
        *,
        appendonly: bool = False,
        data_dir: Path | None = None,
        port: int | None = None,
        cluster_port: int | None = None,
        replica_of: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.appendonly = appendonly
        self.cluster_port = cluster_port
        self.replica_of = replica_of
        self._own_dir = data_dir is None
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="newsbot-redis-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> LocalRedis:
        command = [
            _binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "yes" if self.appendonly else "no", "--appendfsync", "always",
            "--dir", str(self.data_dir), "--daemonize", "no", "--loglevel", "warning",
        ]  # fmt: skip
        if self.cluster_port is not None:
            # The bus port is given, not port + 10,000, which may be taken or above 65,535.
            command += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", "5000", "--cluster-port", str(self.cluster_port)]  # fmt: skip
        if self.replica_of is not None:
            command += ["--replicaof", "127.0.0.1", str(self.replica_of)]
        self._process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _answers_ping("127.0.0.1", self.port):
                return self
            time.sleep(0.05)
        self.stop()
        raise NewsbotError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self._process is not None:
            _terminate(self._process)
            self._process = None

    def kill(self) -> None:
        """Stop abruptly, as a crash would."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def cleanup(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> LocalRedis:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.cleanup()


class LocalCluster:
    """A Redis Cluster of `masters` redis-server processes (no replicas) on loopback.

    The 16,384 slots are split evenly; `url` is the `redis+cluster://` address the bot takes.
    """

    def __init__(self, masters: int = 3) -> None:
        ports = free_ports(2 * masters)
        self.nodes = [
            LocalRedis(port=ports[2 * i], cluster_port=ports[2 * i + 1]) for i in range(masters)
        ]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def start(self) -> LocalCluster:
        try:
            for node in self.nodes:
                node.start()
            share = SLOTS // len(self.nodes)
            for index, node in enumerate(self.nodes):
                first = index * share
                last = SLOTS - 1 if index == len(self.nodes) - 1 else first + share - 1
                _call(node.port, "CLUSTER", "ADDSLOTSRANGE", str(first), str(last))
            hub = self.nodes[0]
            for node in self.nodes[1:]:
                _call(
                    node.port, "CLUSTER", "MEET", "127.0.0.1", str(hub.port), str(hub.cluster_port)
                )
            deadline = time.monotonic() + 30
            while not all(self._ready(node.port) for node in self.nodes):
                if time.monotonic() > deadline:
                    raise NewsbotError("the local Redis Cluster did not reach cluster_state:ok")
                time.sleep(0.1)
        except BaseException:
            self.cleanup()
            raise
        return self

    def _ready(self, port: int) -> bool:
        info = _call(port, "CLUSTER", "INFO")
        return "cluster_state:ok" in info and f"cluster_known_nodes:{len(self.nodes)}" in info

    def cleanup(self) -> None:
        for node in self.nodes:
            node.cleanup()

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.cleanup()


class LocalSentinel:
    """A master, one replica and one Sentinel (quorum 1) watching them, on loopback.

    `url` is the `redis+sentinel://` address the bot takes; `kill_master()` makes Sentinel
    promote the replica, as a real failover would.
    """

    SERVICE = "newsbot"

    def __init__(self) -> None:
        master, replica, self.port = free_ports(3)
        self.master = LocalRedis(appendonly=True, port=master)
        self.replica = LocalRedis(appendonly=True, port=replica, replica_of=master)
        self.data_dir = Path(tempfile.mkdtemp(prefix="newsbot-sentinel-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.port}/{self.SERVICE}/0"

    def start(self) -> LocalSentinel:
        try:
            self.master.start()
            self.replica.start()
            config = self.data_dir / "sentinel.conf"
            config.write_text(
                f"port {self.port}\nbind 127.0.0.1\ndir {self.data_dir}\n"
                f"sentinel monitor {self.SERVICE} 127.0.0.1 {self.master.port} 1\n"
                f"sentinel down-after-milliseconds {self.SERVICE} 1000\n"
                f"sentinel failover-timeout {self.SERVICE} 10000\n",
                encoding="utf-8",
            )
            self._process = subprocess.Popen(
                [_binary(), str(config), "--sentinel", "--loglevel", "warning"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            deadline = time.monotonic() + 30
            while not self._replica_in_sync():
                if time.monotonic() > deadline:
                    raise NewsbotError("the local Sentinel set did not come up")
                time.sleep(0.1)
        except BaseException:
            self.cleanup()
            raise
        return self

    def _replica_in_sync(self) -> bool:
        if not _answers_ping("127.0.0.1", self.port):
            return False
        master = _call(self.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.SERVICE)
        replication = _call(self.replica.port, "INFO", "replication")
        return str(self.master.port) in master and "master_link_status:up" in replication

    def master_port(self) -> int:
        """The port Sentinel currently names as the master."""
        answer = _call(self.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.SERVICE)
        return int(answer.split()[-1])

    def kill_master(self) -> None:
        self.master.kill()

    def cleanup(self) -> None:
        if self._process is not None:
            _terminate(self._process)
            self._process = None
        self.replica.cleanup()
        self.master.cleanup()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> LocalSentinel:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.cleanup()


SLOTS = 16384


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL when it has not exited within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        raise NewsbotError("redis-server is not installed (apt-get install redis-server)")
    return binary


def _call(port: int, *args: str) -> str:
    """Send one command as RESP and return the reply's payload as text (setup and probes)."""
    request = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
        connection.sendall(request.encode())
        connection.settimeout(0.3)
        chunks: list[bytes] = []
        try:
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except TimeoutError:
            pass
    reply = b"".join(chunks).decode(errors="replace")
    if reply.startswith("-"):
        raise NewsbotError(f"redis on port {port} refused {args[0]}: {reply.strip()}")
    return reply


def _answers_ping(host: str, port: int) -> bool:
    """A raw RESP PING, so this module needs no Redis client."""
    try:
        with socket.create_connection((host, port), timeout=0.3) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def default_local_url() -> str | None:
    """redis://127.0.0.1:6379/0 when a server answers there, else None."""
    return "redis://127.0.0.1:6379/0" if _answers_ping("127.0.0.1", 6379) else None

"""Other local users reach nothing of a cluster but its HTTP port (a second uid, via setpriv)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import psutil
import pytest

from tests.cluster.running import running
from tests.support import HAS_OTHER_UID, as_other_user, wait_until

pytestmark = pytest.mark.skipif(not HAS_OTHER_UID, reason="a second local user needs root and setpriv")

PROBE = """
import json, socket, sys
results = {}
for family, address in json.loads(sys.argv[1]):
    sock = socket.socket(socket.AF_UNIX if family == "unix" else socket.AF_INET)
    sock.settimeout(5)
    try:
        sock.connect("\\0" + address[1:] if family == "unix" and address.startswith("@") else
                     address if family == "unix" else tuple(address))
        sock.sendall(b'{"type":"publish","id":1,"info":{"key":"color","value":"evil"}}\\n')
        results[str(address)] = "connected"
    except OSError as exc:
        results[str(address)] = type(exc).__name__
    finally:
        sock.close()
print(json.dumps(results))
"""


HANG_UP_PROBE = """
import socket, sys
sock = socket.socket(socket.AF_UNIX)
sock.settimeout(5)
sock.connect(sys.argv[1])
try:
    sock.sendall(b'{"type":"publish","id":1,"info":1}\\n')
    print("hung up" if sock.recv(10) == b"" else "answered")
except ConnectionError:  # reset, or a broken pipe when it hung up before we wrote
    print("hung up")
"""


def listening(pids: list[int]) -> list[tuple[str, str | list[object]]]:
    """Every socket those processes listen on: unix (named, or abstract as `@name`) and TCP."""
    found: dict[str, tuple[str, str | list[object]]] = {}
    for pid in pids:
        process = psutil.Process(pid)
        for conn in process.net_connections(kind="unix"):
            if conn.laddr:
                found[str(conn.laddr)] = ("unix", str(conn.laddr))
        for conn in process.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN:
                found[str(conn.laddr)] = ("tcp", [conn.laddr[0], conn.laddr[1]])
    return list(found.values())


def test_another_user_reaches_the_http_port_and_nothing_else(tmp_path: Path) -> None:
    with running(tmp_path, fixture="cluster_client", zygote=True) as cluster:
        run = cluster.app_dir / "run"
        pids = [cluster.process.pid, *(c.pid for c in psutil.Process(cluster.process.pid).children())]
        sockets = wait_until(
            lambda: [s for s in listening(pids) if s[0] == "unix"] and listening(pids), what="a unix socket"
        )
        http = ["127.0.0.1", cluster.ready.port]
        leader = [str(address) for family, address in sockets if family == "unix"]
        assert sorted(map(str, sockets)) == sorted(map(str, [("tcp", http), *(("unix", p) for p in leader)]))
        # a file in run/, or in the private temp dir when run/ is too deep for a socket path (xdist's is)
        private = {run, Path(tempfile.gettempdir()) / f"eggbin-{os.getuid()}"}
        assert len(leader) == 1
        assert Path(leader[0]).parent in private
        probe = as_other_user(PROBE, json.dumps(sockets))
        assert probe.returncode == 0, probe.stderr
        results = json.loads(probe.stdout)
        assert results.pop(str(http)) == "connected"
        assert results == dict.fromkeys(leader, "PermissionError")
        assert run.stat().st_mode & 0o777 == 0o700
        assert not [r for r in cluster.observed("color") if r["data"] == "evil"]


def test_the_leader_hangs_up_on_another_uid_even_in_an_open_directory(tmp_path: Path) -> None:
    """Defense in depth: were the directory ever opened up, SO_PEERCRED still keeps others out."""
    import asyncio

    from eggbin.web.cluster_client import Leader

    open_dir = Path("/tmp") / f"eggbin-open-{os.getpid()}"
    open_dir.mkdir(mode=0o777, exist_ok=True)
    open_dir.chmod(0o777)
    address = str(open_dir / "cc.sock")
    published: list[object] = []

    class Client:
        def publish(self, info: object) -> None:
            published.append(info)

    async def scenario() -> str:
        leader = Leader(Client(), address)
        leader.start()
        try:  # closed even when the probe skips the test (no user but root can read a 0700 checkout)
            await wait_async(lambda: os.path.exists(address))
            os.chmod(address, 0o777)
            probe = await asyncio.to_thread(as_other_user, HANG_UP_PROBE, address)
        finally:
            leader.close()
        return probe.stdout + probe.stderr

    try:
        assert asyncio.run(scenario()).strip() == "hung up"
        assert published == []
    finally:
        for leftover in open_dir.iterdir():
            leftover.unlink()
        open_dir.rmdir()


async def wait_async(predicate: object, timeout: float = 10) -> None:
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_a_run_dir_too_long_for_a_socket_falls_back_to_a_private_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from eggbin.web.cluster_client import ClusterClientError, socket_address

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    short = socket_address(tmp_path / "run", "key", dict, (), {})
    assert Path(short).parent == tmp_path / "run"
    deep = tmp_path / ("d" * 100) / "run"
    fallback = Path(socket_address(deep, "key", dict, (), {}))
    assert fallback.parent == tmp_path / f"eggbin-{os.getuid()}"
    assert fallback.parent.stat().st_mode & 0o777 == 0o700
    assert fallback.name == Path(short).name
    fallback.parent.chmod(0o777)  # planted open, or by another user: never used
    with pytest.raises(ClusterClientError, match=r"is not a private directory of this user .*mode 777"):
        socket_address(deep, "key", dict, (), {})
    fallback.parent.chmod(0o700)
    os.chown(fallback.parent, 54321, 54321)
    with pytest.raises(ClusterClientError, match=r"\(owner uid 54321, mode 700\)"):
        socket_address(deep, "key", dict, (), {})

"""eggbin's private per-user cache: help, parse, settings-verdict, start-import and start-compiled entries,
keyed exactly.

Entries live under `$XDG_CACHE_HOME/eggbin/<kind>/` (default `~/.cache`), one file per key. The cache
is never trusted blindly: the directory is 0700 and ours (not writable by others), entries are 0600
regular files opened without following symlinks, written atomically (a temporary file renamed over),
and carry their key and a checksum; anything else is a miss, and a cache that cannot be read or
written only costs the typer run it would have cost anyway. Keys hold the stat (mtime, size, inode) of
every source file the cached answer depends on (`source_fingerprint`), so an edit, an upgrade or a
reinstall of any of them is a miss.
"""

from __future__ import annotations

import binascii
import os
import stat
import sys

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs the fast paths ~5 ms
if TYPE_CHECKING:
    from collections.abc import Iterator

READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # a planted FIFO never blocks
MAX_ENTRY_BYTES = 1 << 20
MAX_ENTRIES = 200  # past this, a write drops the older half (old keys pile up after edits/upgrades)


class PrivateCache:
    """One kind of entry (`help`, `parse`, `settings`, `imports`, `compiled`): its directory and entries'
    magic line."""

    def __init__(self, kind: str, magic: str) -> None:
        self.kind = kind
        self.magic = magic

    def directory(self) -> str:
        """`$XDG_CACHE_HOME/eggbin/<kind>`, else `~/.cache/eggbin/<kind>`; OSError without a home."""
        base = os.environ.get("XDG_CACHE_HOME", "")
        if not os.path.isabs(base):
            base = os.path.join(os.path.expanduser("~"), ".cache")
        if not os.path.isabs(base):  # no HOME and no passwd entry: never a directory relative to cwd
            raise FileNotFoundError(f"no home directory for the {self.kind} cache")
        return os.path.join(base, "eggbin", self.kind)

    def entry_name(self, key: str) -> str:
        """The file an entry lives in; the key inside the file is what decides a hit."""
        return f"{binascii.crc32(_encoded(key)):08x}"

    def read(self, key: str) -> str | None:
        """The text kept for `key`; None when absent, not ours, not a plain file, corrupt or stale."""
        body = self.read_bytes(key)
        try:
            return body.decode("utf-8") if body is not None else None
        except UnicodeDecodeError:
            return None

    def read_bytes(self, key: str) -> bytes | None:
        """The body kept for `key`, as `read` (for a body that is not text: `write_bytes`)."""
        try:
            directory = _open_private_dir(self.directory())
        except OSError:  # none yet, not ours, or no home
            return None
        try:
            fd = os.open(self.entry_name(key), READ_FLAGS, dir_fd=directory)
        except OSError:
            return None
        finally:
            os.close(directory)
        try:
            info = os.fstat(fd)
            foreign = info.st_uid != os.geteuid()
            if not stat.S_ISREG(info.st_mode) or foreign or info.st_size > MAX_ENTRY_BYTES:
                return None
            data = os.read(fd, MAX_ENTRY_BYTES + 1)
        except OSError:
            return None
        finally:
            os.close(fd)
        return self._parse(data, key)

    def _parse(self, data: bytes, key: str) -> bytes | None:
        head, _, rest = data.partition(b"\n")
        stored_key, _, rest = rest.partition(b"\0")
        checksum, _, body = rest.partition(b"\n")
        stale = head != self.magic.encode() or stored_key != _encoded(key)
        return None if stale or checksum != _checksum(body) or not body else body

    def write(self, key: str, body: str) -> None:
        """Keep `body` for `key`: atomically, 0600, in a 0700 directory; failures are ignored."""
        self.write_bytes(key, body.encode("utf-8"))

    def write_bytes(self, key: str, body: bytes) -> None:
        """Keep `body` (any bytes) for `key`, as `write`."""
        try:
            path = self.directory()
            os.makedirs(path, mode=0o700, exist_ok=True)
            directory = _open_private_dir(path)
        except OSError:
            return
        try:
            _prune(directory)
            head = b"%s\n%s\0%s\n" % (self.magic.encode(), _encoded(key), _checksum(body))
            _write_atomically(directory, self.entry_name(key), head + body)
        except OSError:
            pass
        finally:
            os.close(directory)

    def forget(self, key: str) -> None:
        """Drop the entry for `key`, if there is one and it is ours to drop."""
        try:
            directory = _open_private_dir(self.directory())
        except OSError:
            return
        try:
            os.unlink(self.entry_name(key), dir_fd=directory)
        except OSError:
            pass
        finally:
            os.close(directory)


def source_fingerprint(packages: tuple[str, ...]) -> str | None:
    """The stat of every source file of eggbin's CLI (`eggbin/cli`) and of `packages` (those installed).

    Only `eggbin/cli` holds what a cached help or parse depends on (the commands' declarations and
    settings); the rest of eggbin (runtime, test runner, daemon) runs afresh on every invocation, and
    stating its ~240 files cost every hot command ~4.5 M instructions and as many system calls.
    """
    try:
        roots = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "cli")]
        roots += [found for found in map(package_dir, packages) if found is not None]
        return "\x1e".join(f"{p}:{s.st_mtime_ns}:{s.st_size}:{s.st_ino}" for p, s in _sources(roots))
    except OSError:  # a source gone mid-scan, or a deleted working directory
        return None


def package_dir(package: str) -> str | None:
    """Where `import package` would find it (regular packages on sys.path), without importing it."""
    for entry in sys.path:
        candidate = os.path.join(entry or os.getcwd(), package)
        if os.path.isfile(os.path.join(candidate, "__init__.py")):
            return os.path.abspath(candidate)
    return None


def _sources(roots: list[str]) -> Iterator[tuple[str, os.stat_result]]:
    for root in roots:
        yield root, os.stat(root)
        with os.scandir(root) as entries:
            found = sorted(entries, key=lambda entry: entry.name)
        for entry in found:
            if entry.name.endswith(".py"):
                yield entry.path, entry.stat()
            elif entry.is_dir() and entry.name != "__pycache__":
                yield from _sources([entry.path])


def _checksum(body: bytes) -> bytes:
    return b"%08x" % binascii.crc32(body)


def _encoded(key: str) -> bytes:
    """A key as its entry holds it (a path in it may hold bytes the file system name did not decode)."""
    return key.encode("utf-8", "surrogateescape")


def _open_private_dir(path: str) -> int:
    """The cache directory, opened; refused (OSError) unless it is ours and only we can write to it."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    info = os.fstat(fd)
    if info.st_uid != os.geteuid() or info.st_mode & 0o022:
        os.close(fd)
        raise PermissionError(f"{path} is not private to this user")
    return fd


def _write_atomically(directory: int, name: str, data: bytes) -> None:
    temp = f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, 0o600, dir_fd=directory)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temp, name, src_dir_fd=directory, dst_dir_fd=directory)
    except BaseException:
        os.unlink(temp, dir_fd=directory)
        raise


def _prune(directory: int) -> None:
    names = os.listdir(directory)
    if len(names) < MAX_ENTRIES:
        return
    ages = sorted(names, key=lambda name: os.stat(name, dir_fd=directory, follow_symlinks=False).st_mtime_ns)
    for name in ages[: len(ages) // 2]:
        os.unlink(name, dir_fd=directory)

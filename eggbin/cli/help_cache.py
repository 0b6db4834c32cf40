"""`--help` and `--version` answered without importing typer: typer's own rendering, cached per user.

The first `eggbin dev --help` runs typer and keeps what it printed under
`$XDG_CACHE_HOME/eggbin/help/` (default `~/.cache`); later runs print that file. Importing typer costs a
`--help` ~75 % of its time, and a cache of typer's own text cannot drift from the CLI the way a second
renderer could. An entry is used only when its key matches exactly: the program, the argv, the terminal
width click would use, the Python build and the stat (mtime, size, inode) of every source file of
`eggbin/cli`, typer and click, so an edit, an upgrade or a reinstall of any of them is a miss.

The cache is private and never trusted blindly: the directory is 0700 and ours (not writable by
others), entries are 0600 regular files opened without following symlinks, written atomically (a
temporary file renamed over), and carry their key and a checksum; anything else is a miss, and a cache
that cannot be read or written only costs the typer run it would have cost anyway.
"""

from __future__ import annotations

import os
import stat
import sys
import zlib

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs this fast path ~5 ms
if TYPE_CHECKING:
    from collections.abc import Iterator

HELP_FLAGS = ("-h", "--help")
VERSION_FLAGS = ("-V", "--version")
READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # a planted FIFO never blocks
MAGIC = "eggbin-help-cache 1"
MAX_ENTRY_BYTES = 1 << 20
MAX_ENTRIES = 200  # past this, a write drops the older half (old keys pile up after edits/upgrades)
RENDERING_PACKAGES = ("typer", "click")  # whose code renders the help (typer 0.28 vendors click)


def answer(prog: str, argv: list[str]) -> bool:
    """Print `--version`, or the cached help for `argv`, without typer; False: typer must run."""
    if completion_requested(prog) or sys.stdout is None:
        return False
    if argv in ([flag] for flag in VERSION_FLAGS):
        from eggbin import __version__

        sys.stdout.write(f"eggbin {__version__}\n")  # what the typer app's `--version` callback prints
        sys.stdout.flush()
        return True
    key = cache_key(prog, argv)
    text = read_entry(key) if key is not None else None
    if text is None:
        return False
    sys.stdout.write(text)
    sys.stdout.flush()
    return True


def completion_requested(prog: str) -> bool:
    """A shell asks for completions (completions/): typer answers those, never the cache."""
    return f"_{prog}_COMPLETE".upper() in os.environ


def help_argv(argv: list[str]) -> bool:
    """`argv` only asks for help: nothing, `--help`, or `COMMAND --help` (`-h` alike)."""
    if not argv or (len(argv) == 1 and argv[0] in HELP_FLAGS):
        return True
    return len(argv) == 2 and argv[1] in HELP_FLAGS and _command_name(argv[0])


def _command_name(word: str) -> bool:
    return 0 < len(word) <= 40 and word.isascii() and word.replace("-", "").isalnum()


def cache_key(prog: str, argv: list[str]) -> str | None:
    """What the help for `argv` depends on, as one string; None when `argv` is not a help request."""
    if not help_argv(argv):
        return None
    fingerprint = source_fingerprint()
    if fingerprint is None:
        return None
    parts = (prog, " ".join(argv or ["--help"]), str(terminal_columns()), sys.version, fingerprint)
    return "\x1f".join((*parts, f"optimize={sys.flags.optimize}"))  # -OO drops the docstrings


def terminal_columns() -> int:
    """`shutil.get_terminal_size().columns`, which click sizes help by (shutil's import costs ~5 ms)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        size = os.get_terminal_size(sys.__stdout__.fileno())  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80
    return size.columns or 80


def source_fingerprint() -> str | None:
    """The stat of every source file that renders the help: eggbin's CLI, typer and click."""
    try:
        roots = [os.path.dirname(os.path.abspath(__file__))]
        roots += [found for found in map(package_dir, RENDERING_PACKAGES) if found is not None]
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


def cache_dir() -> str:
    """`$XDG_CACHE_HOME/eggbin/help`, else `~/.cache/eggbin/help`; OSError without a home to put it in."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):  # no HOME and no passwd entry: never a directory relative to cwd
        raise FileNotFoundError("no home directory for the help cache")
    return os.path.join(base, "eggbin", "help")


def entry_name(key: str) -> str:
    """The file an entry lives in; the key inside the file is what decides a hit."""
    return f"{zlib.crc32(key.encode()):08x}"


def read_entry(key: str) -> str | None:
    """The cached help for `key`; None when absent, not ours, not a plain file, corrupt or stale."""
    try:
        directory = _open_private_dir(cache_dir())
    except OSError:  # none yet, not ours, or no home
        return None
    try:
        fd = os.open(entry_name(key), READ_FLAGS, dir_fd=directory)
    except OSError:
        return None
    finally:
        os.close(directory)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_size > MAX_ENTRY_BYTES:
            return None
        data = os.read(fd, MAX_ENTRY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return _parse(data, key)


def _parse(data: bytes, key: str) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head, _, rest = text.partition("\n")
    stored_key, _, rest = rest.partition("\0")
    checksum, _, body = rest.partition("\n")
    if head != MAGIC or stored_key != key or checksum != _checksum(body) or not body:
        return None
    return body


def _checksum(body: str) -> str:
    return f"{zlib.adler32(body.encode()):08x}"


def write_entry(key: str, body: str) -> None:
    """Keep `body` as the help for `key`: atomically, 0600, in a 0700 directory; failures are ignored."""
    try:
        path = cache_dir()
        os.makedirs(path, mode=0o700, exist_ok=True)
        directory = _open_private_dir(path)
    except OSError:
        return
    try:
        _prune(directory)
        _write_atomically(directory, entry_name(key), f"{MAGIC}\n{key}\0{_checksum(body)}\n{body}")
    except OSError:
        pass
    finally:
        os.close(directory)


def _open_private_dir(path: str) -> int:
    """The cache directory, opened; refused (OSError) unless it is ours and only we can write to it."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    info = os.fstat(fd)
    if info.st_uid != os.geteuid() or info.st_mode & 0o022:
        os.close(fd)
        raise PermissionError(f"{path} is not private to this user")
    return fd


def _write_atomically(directory: int, name: str, text: str) -> None:
    temp = f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, 0o600, dir_fd=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
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

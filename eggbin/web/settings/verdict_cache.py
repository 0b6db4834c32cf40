"""Settings checks that passed, remembered: the same config passes again without importing pydantic.

Importing pydantic and building the models is most of the check (~200 ms of CPU in a cluster's start,
for a verdict that is the same at every start until the config changes). A check that passed with no
warning is recorded under a key holding everything its verdict depends on:

- the checked input as canonical JSON, kept as its SHA-256 only (the config holds secrets): the names
  set outside eggbin, their merged values, and which built-in sections apply (plugins on, middleware
  the app overrides); a value JSON cannot state exactly (a callable, a set, a float NaN, a dict with
  non-string keys, a str subclass...) means no caching;
- eggbin's settings models (the stat of every source file of this package), pydantic's and
  pydantic-core's installed versions (their `.dist-info`), the Python build.

A failing check is never recorded (it runs again and prints the same line), nor one that warned (the
warning names the line of a file that may have moved). Entries live in eggbin's private per-user cache
(`eggbin.private_cache`, kind `settings`: a 0700 directory, 0600 files, no symlinks followed, atomic writes,
the full key and a checksum in each entry); anything unreadable is a miss, and a miss runs the check.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from collections.abc import Iterable
from typing import Any

from eggbin.private_cache import PrivateCache, package_dir

MAGIC = "eggbin-settings-verdict 1"
PASSED = "passed\n"
VALIDATOR_PACKAGES = ("pydantic", "pydantic_core")
STORE = PrivateCache("settings", MAGIC)


def key_for(config: dict[str, Any], touched: Iterable[str], sections: Iterable[str]) -> str | None:
    """The cache key of checking `touched` names of `config` against `sections`; None: do not cache."""
    names = sorted(touched)
    try:
        checked = {
            "touched": names,
            "sections": sorted(sections),
            "values": {name: _exact(dict.__getitem__(config, name)) for name in names if name in config},
        }
        text = json.dumps(checked, sort_keys=True, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    fingerprint = _fingerprint()
    if fingerprint is None:
        return None
    digest = hashlib.sha256(text.encode()).hexdigest()  # the config holds secrets (`keys`): not stored
    return f"{MAGIC}\x1f{digest}\x1f{fingerprint}"


def _exact(value: object) -> object:
    """`value` as JSON that keeps every distinction the check makes (list vs tuple, 1 vs 1.0 vs True)."""
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if isinstance(value, float) and kind is float:
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return value
    if isinstance(value, list | tuple) and kind in (list, tuple):
        return {kind.__name__: [_exact(item) for item in value]}
    if isinstance(value, dict):
        if any(type(key) is not str for key in value):
            raise TypeError("a key that is not a string")
        name = "dict" if kind is dict else f"{kind.__module__}.{kind.__qualname__}"
        return {name: {key: _exact(item) for key, item in dict.items(value)}}
    raise TypeError(f"{kind.__name__} is not plain JSON")


def _fingerprint() -> str | None:
    """The models' sources, the validator's versions and the Python build, as one string."""
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        with os.scandir(here) as entries:
            sources = sorted(entry.path for entry in entries if entry.name.endswith(".py"))
        stats = [f"{path}:{s.st_mtime_ns}:{s.st_size}:{s.st_ino}" for path, s in map(_stat, sources)]
        versions = [_installed(package) for package in VALIDATOR_PACKAGES]
    except OSError:
        return None
    if None in versions:
        return None
    return "\x1e".join((*stats, *map(str, versions), sys.version, f"optimize={sys.flags.optimize}"))


def _stat(path: str) -> tuple[str, os.stat_result]:
    return path, os.stat(path)


def _installed(package: str) -> str | None:
    """`<dist-info name>:<stat of its RECORD>` of the package `import package` would find, unimported."""
    found = package_dir(package)
    if found is None:
        return None
    site = os.path.dirname(found)
    infos = sorted(  # `<escaped name>-<version>.dist-info`: the name has no "-"
        name for name in os.listdir(site) if name.endswith(".dist-info") and name.split("-", 1)[0] == package
    )
    if len(infos) != 1:  # none, or two installs side by side: which one is imported is unclear
        return None
    record = os.stat(os.path.join(site, infos[0], "RECORD"))
    return f"{infos[0]}:{record.st_mtime_ns}:{record.st_ino}"


def passed_before(key: str) -> bool:
    """Whether a check with this key passed, without a warning, before."""
    return STORE.read(key) == PASSED


def remember_pass(key: str) -> None:
    """Record that the check with this key passed without a warning (failures to write are ignored)."""
    STORE.write(key, PASSED)

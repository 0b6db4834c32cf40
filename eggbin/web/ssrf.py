"""SSRF guard for outgoing requests: every address a host name resolves to is checked before connecting.

egg-security's `safeCurl` passes `config.security.ssrf` to its HTTP client as urllib's `checkAddress`:

- `check_address(ip, family, hostname) -> bool` (any of its leading parameters may be left out):
  `False` refuses the connection; it wins over the lists below;
- `ip_black_list`: addresses and networks (`10.0.0.0/8`, `::1`) never to connect to,
  `ip_exception_list`: ones allowed despite the black list, `hostname_exception_list`: host names
  never checked.

The check runs where the connection is made (an httpcore network backend), on the very address the
socket connects to, so a redirect to an internal host or a name that resolves to one (DNS rebinding
included) is refused as well: `IllegalAddressError` (`eggbin.web.checked_transport`). If any address of
a host is refused, the host is.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import Any

from eggbin.errors import BootError

CheckAddress = Callable[[str, int, str], bool]


def check_from_config(ssrf: Mapping[str, Any] | None) -> CheckAddress | None:
    """egg's `preprocessConfig`: `check_address`, or one built from the lists; `None` when unset."""
    ssrf = ssrf or {}
    if ssrf.get("check_address") is not None:
        return with_three_arguments(ssrf["check_address"])
    if not ssrf.get("ip_black_list"):
        return None
    black = _networks(ssrf["ip_black_list"], "ip_black_list")
    allowed = _networks(ssrf.get("ip_exception_list") or [], "ip_exception_list")
    hostnames = {name.lower() for name in ssrf.get("hostname_exception_list") or []}

    def check(address: str, family: int, hostname: str) -> bool:
        if hostname.lower() in hostnames:
            return True
        ip: IPv4Address | IPv6Address = ip_address(address)
        if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in network for network in allowed):
            return True
        return not any(ip in network for network in black)

    return check


def _networks(entries: Iterable[str], key: str) -> list[Any]:
    if isinstance(entries, str):
        entries = [entries]
    try:
        return [ip_network(str(entry).strip(), strict=False) for entry in entries]
    except ValueError as exc:
        raise BootError(f"`config.security.ssrf.{key}`: {exc}") from None


def with_three_arguments(check: Callable[..., Any]) -> CheckAddress:
    """Call `check` with as many of `(ip, family, hostname)` as it takes (JavaScript's leniency)."""
    try:
        parameters = inspect.signature(check).parameters.values()
    except (TypeError, ValueError):
        return lambda address, family, hostname: bool(check(address, family, hostname))
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        count = 3
    else:
        count = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)
    return lambda address, family, hostname: bool(check(*(address, family, hostname)[:count]))

"""Proxy mode: whom to believe when a request names its client, scheme and host in forwarded headers.

egg's (Koa's) model: with `config.proxy` on, `config.ip_headers` (`X-Forwarded-For`), `protocol_headers`
(`X-Forwarded-Proto`) and `host_headers` (`X-Forwarded-Host`) are believed from any peer, and
`max_ips_count` keeps only the last N hops of the address chain. That is right only when nothing but
the proxy can reach the app (a unix socket, a private network); anyone else who connects can forge them.

`config.trusted_proxies` (Express's `trust proxy` list) names the proxies: addresses (`10.0.0.7`),
networks (`10.0.0.0/8`, `fd00::/8`) and `loopback`, `linklocal`, `uniquelocal`. With it:

- a request whose socket peer is not a trusted proxy is served as if `proxy` were off;
- the address chain is read from the right, skipping trusted proxies: the first address that is not
  one is the client (`ctx.ip`), and `ctx.ips` runs from it to the nearest proxy.

A peer on a unix socket (it has no address) is trusted: only local processes that may open the socket
file reach it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any

from eggbin.errors import BootError

Network = IPv4Network | IPv6Network
NAMED: dict[str, tuple[str, ...]] = {  # Express's names
    "loopback": ("127.0.0.0/8", "::1/128"),
    "linklocal": ("169.254.0.0/16", "fe80::/10"),
    "uniquelocal": ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"),
}


@lru_cache(maxsize=32)
def parse(entries: tuple[str, ...], key: str = "trusted_proxies") -> tuple[Network, ...]:
    """The networks `entries` name; a `BootError` names the first entry that is none (in `config.<key>`)."""
    networks: list[Network] = []
    for entry in entries:
        for item in NAMED.get(entry.strip().lower(), (entry.strip(),)):
            try:
                networks.append(_unmapped(ip_network(item, strict=False)))
            except ValueError:
                raise BootError(
                    f"`config.{key}`: `{entry}` is not an address, a network or one of {', '.join(NAMED)}"
                ) from None
    return tuple(networks)


def _unmapped(network: Network) -> Network:
    """`::ffff:10.0.0.0/104` as `10.0.0.0/8`: peers are compared as IPv4 when they are IPv4."""
    mapped = network.network_address.ipv4_mapped if isinstance(network, IPv6Network) else None
    if mapped is None or network.prefixlen < 96:
        return network
    return IPv4Network(f"{mapped}/{network.prefixlen - 96}")


def trusted_networks(config: Mapping[str, Any]) -> tuple[Network, ...] | None:
    """The parsed `config.trusted_proxies` (a list or a comma-separated string); `None` when unset."""
    entries = config.get("trusted_proxies")
    if not entries:
        return None
    if isinstance(entries, str):
        entries = entries.split(",")
    return parse(tuple(str(entry) for entry in entries))


def is_trusted(address: str | None, networks: tuple[Network, ...]) -> bool:
    if address is None:
        return True  # a unix socket peer
    try:
        ip: IPv4Address | IPv6Address = ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def client_chain(chain: list[str], networks: tuple[Network, ...]) -> list[str]:
    """`chain` (client first, nearest proxy last) from its rightmost untrusted address onwards."""
    for index in range(len(chain) - 1, -1, -1):
        if not is_trusted(chain[index], networks):
            return chain[index:]
    return chain  # every hop is a trusted proxy: the furthest one is all we know of the client

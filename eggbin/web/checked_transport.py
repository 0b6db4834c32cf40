"""An httpx transport that connects only to addresses a `check_address` allows (`eggbin.web.ssrf`)."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Any

import anyio
import httpcore
import httpx

from eggbin.web.ssrf import CheckAddress


class IllegalAddressError(httpx.ConnectError):
    """`safe_curl` refused to connect: the address is in `security.ssrf`'s black list."""


class AddressCheckingBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend, resolving names itself and connecting only to checked addresses."""

    def __init__(self, check: CheckAddress) -> None:
        self._check = check
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port, timeout)
        for address, family in addresses:
            if not self._check(address, family, host):
                raise IllegalAddressError(
                    f"illegal address `{address}` of `{host}`: refused by `config.security.ssrf`"
                )
        error: Exception | None = None
        for address, _ in addresses:  # the checked addresses only: no second lookup to rebind
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        raise error or httpcore.ConnectError(f"`{host}` resolved to no address")

    async def _resolve(self, host: str, port: int, timeout: float | None) -> list[tuple[str, int]]:
        try:
            with anyio.fail_after(timeout):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving `{host}` timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"resolving `{host}`: {exc}") from exc
        found: list[tuple[str, int]] = []
        for family, *_, sockaddr in infos:
            entry = (str(sockaddr[0]), 6 if family == socket.AF_INET6 else 4)
            if entry not in found:
                found.append(entry)
        return found

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise IllegalAddressError(f"unix socket `{path}` refused by `config.security.ssrf`")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class AddressCheckingTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over `AddressCheckingBackend` (its pool is rebuilt with that backend)."""

    def __init__(self, check: CheckAddress) -> None:
        super().__init__()
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's defaults
        # httpx takes no network backend: its pool (the `_pool` every request goes through, held to
        # the httpx versions pyproject.toml allows by tests/test_private_api_contracts.py) is replaced whole.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=AddressCheckingBackend(check),
        )

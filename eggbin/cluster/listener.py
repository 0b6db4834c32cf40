"""The listening socket the master binds once and every worker shares (it never closes during a reload)."""

from __future__ import annotations

import contextlib
import os
import socket

from eggbin.cluster.options import ClusterOptions


def bind(options: ClusterOptions) -> socket.socket:
    """The listening socket every worker shares: TCP host/port, or a unix socket path."""
    if options.path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(options.path)  # a socket file left by a killed master
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(options.path)
    else:
        family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((options.host, options.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def release(sock: socket.socket, options: ClusterOptions) -> None:
    sock.close()
    if options.path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(options.path)

"""HTTPS (egg-cluster's `https` option): the key and certificate the workers serve TLS with.

    eggscripts start --https-key K --https-cert C   else   config.cluster.https = {"key", "cert", "ca"}

Paths are resolved against the app's directory and checked before anything starts (readable, PEM, the
key matches the certificate), so a typo fails the start with one line instead of a crashing worker.
`passphrase` (an encrypted key) is read from the app's config by each worker and never crosses a command
line. With HTTPS and no port configured the cluster listens on 8443, egg's default.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from eggbin.errors import BootError, EggbinError, UsageError

if TYPE_CHECKING:
    import ssl  # imported where used: the master reads `Https` but never opens TLS (ssl is ~1.2 MB USS)

HTTPS_PORT = 8443


class Https(Struct, frozen=True):
    """Where the TLS files are (absolute paths)."""

    key: str
    cert: str
    ca: str | None = None


def https_config(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """`config.cluster.https` as a mapping (`{}` when unset or false)."""
    https = (config.get("cluster") or {}).get("https")
    return https if isinstance(https, Mapping) else {}


def choose_https(
    base_dir: Path, key: str | Path | None, cert: str | Path | None, config: Mapping[str, Any]
) -> Https | None:
    """The flags if given, else `config.cluster.https`; checked (see the module docstring)."""
    configured = https_config(config)
    from_flags = key is not None or cert is not None
    if not from_flags:
        key, cert = configured.get("key"), configured.get("cert")
    source = "--https-key/--https-cert" if from_flags else "config.cluster.https"
    fault = UsageError if from_flags else BootError  # a wrong flag is a usage error (exit 2)
    if not key and not cert:
        return None
    if not key or not cert:
        missing = "key" if not key else "cert"
        raise fault(f"HTTPS needs both a key and a certificate: the {missing} is missing from {source}")
    ca = configured.get("ca")
    found = Https(
        str(resolve(base_dir, key, "key", fault)),
        str(resolve(base_dir, cert, "cert", fault)),
        str(resolve(base_dir, ca, "ca", fault)) if ca else None,
    )
    check(found, configured.get("passphrase"), fault)
    return found


def resolve(base_dir: Path, path: str | Path, what: str, fault: type[EggbinError]) -> Path:
    full = (base_dir / Path(path).expanduser()).resolve()
    if not full.is_file():
        raise fault(f"HTTPS {what} file `{full}` does not exist", hint="paths are relative to the app")
    return full


def check(https: Https, passphrase: str | None, fault: type[EggbinError]) -> None:
    """Load the files as a worker will; a bad PEM, a wrong passphrase or a key of another cert fails."""
    import ssl

    try:
        server_context(https, passphrase)
    except (ssl.SSLError, OSError) as exc:
        raise fault(
            f"HTTPS certificate `{https.cert}` and key `{https.key}` cannot be used: {exc.strerror or exc}",
            hint="give a PEM certificate and the PEM private key it was issued for",
        ) from None


def server_context(https: Https, passphrase: str | None = None) -> ssl.SSLContext:
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    # a callable, never None: OpenSSL would prompt on the terminal for an encrypted key's passphrase
    context.load_cert_chain(https.cert, https.key, lambda: passphrase or "")
    if https.ca:
        context.load_verify_locations(https.ca)
    return context


def uvicorn_ssl(https: Https | None, config: Mapping[str, Any]) -> dict[str, Any]:
    """The `uvicorn.Config` keywords serving `https` (none for plain HTTP)."""
    if https is None:
        return {}
    return {
        "ssl_keyfile": https.key,
        "ssl_certfile": https.cert,
        "ssl_ca_certs": https.ca,
        "ssl_keyfile_password": https_config(config).get("passphrase"),
    }

"""Where a notification may be sent: https, to a public address only.

A subscription's URL is checked when it is given and its host name resolved again before every
delivery, and the delivery connects to the address that was checked (delivery.py): a name that
resolved to a public address at subscription time and to 10.0.0.5 later (DNS rebinding) cannot
turn the platform into a client of its own network. CLEARWAY_WEBHOOKS_ALLOW_PRIVATE lifts the rules
for tests and demonstrations (http, loopback, private networks).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host name, port) -> the addresses it resolves to, preferred first.
Resolver = Callable[[str, int], Sequence[str]]

MAX_URL = 2048
_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$"
)
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")


class RefusedUrl(ValueError):
    """A URL notifications may not be sent to; the message says why, in a sentence."""


def system_resolver(host: str, port: int) -> list[str]:
    """The system's resolver: every address of the name, in the order it prefers them."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedUrl(f"the host name '{host}' does not resolve ({exc})") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_refusal(address: IPAddress) -> str | None:
    """Why an address is not a public one (None when it is)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    checks: list[tuple[bool, str]] = [
        (address.is_loopback, "a loopback address"),
        (address.is_unspecified, "the unspecified address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (isinstance(address, ipaddress.IPv6Address) and address in _UNIQUE_LOCAL, "a unique local address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (not address.is_global, "not a public address"),
    ]
    return next((why for refused, why in checks if refused), None)


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to for it."""

    url: str
    scheme: str
    host: str  # the name (or address literal) the URL gives, lower-case, without brackets
    port: int
    address: str  # the checked address the delivery connects to

    @property
    def is_literal(self) -> bool:
        return _literal(self.host) is not None

    def connect_url(self) -> str:
        """The URL with the checked address in place of the name (the Host header and TLS name stay
        the name's: delivery.py)."""
        parts = urlsplit(self.url)
        host = f"[{self.address}]" if ":" in self.address else self.address
        netloc = f"{host}:{parts.port}" if parts.port is not None else host
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))

    def host_header(self) -> str:
        parts = urlsplit(self.url)
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{parts.port}" if parts.port is not None else host


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url(url: str, *, allow_private: bool) -> tuple[str, str, int]:
    """The URL's (scheme, host, port) once its form is acceptable; RefusedUrl saying what is wrong."""
    if len(url) > MAX_URL:
        raise RefusedUrl(f"the URL is longer than {MAX_URL} characters")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise RefusedUrl("the URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedUrl(f"the URL is not well formed ({exc})") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise RefusedUrl("the URL must start with https:// (notifications are only sent over TLS)")
    if parts.username is not None or parts.password is not None:
        raise RefusedUrl("the URL must not contain a user name or password: authenticate by the signature")
    if parts.fragment:
        raise RefusedUrl("the URL must not have a fragment (#...)")
    host = parts.hostname or ""
    if _literal(host) is None:
        host = host.rstrip(".")  # the root's dot: example.com. is example.com
    if not host:
        raise RefusedUrl("the URL has no host")
    if _literal(host) is None and not _HOST_NAME.match(host):
        raise RefusedUrl(f"'{host}' is not a host name (letters, digits, hyphens and dots; IDNs in their xn-- form)")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def resolve_target(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> Target:
    """Check the URL, resolve its host and check every address it resolves to.

    Every address must be public, not just one: a name with one public and one private address would
    otherwise reach the private one whenever the resolver put it first.
    """
    scheme, host, port = check_url(url, allow_private=allow_private)
    literal = _literal(host)
    addresses = [host] if literal is not None else list(resolve(host, port))
    if not addresses:
        raise RefusedUrl(f"the host name '{host}' does not resolve")
    if not allow_private:
        for text in addresses:
            why = address_refusal(ipaddress.ip_address(text.split("%", 1)[0]))
            if why is not None:
                named = f"'{host}' resolves to {text}, {why}" if literal is None else f"{text} is {why}"
                raise RefusedUrl(f"{named}: notifications go to public addresses only")
    return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


__all__ = ["RefusedUrl", "Resolver", "Target", "address_refusal", "check_url", "resolve_target", "system_resolver"]

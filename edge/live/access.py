"""Who may use `digits serve`: the Host a request names, and the access token when there is one.

A browser sends the name it was pointed at in `Host`. Checking it against the server's own
names defeats DNS rebinding, where a web page's own name is re-pointed at 127.0.0.1 or a
LAN address so that its scripts can read the camera: the Host is then the page's name.
Allowed: the loopback names and addresses, the address listened on (with a wildcard address,
any address of this machine and its host names), and whatever --allow-host adds.

The token (--token, or DIGITS_TOKEN) is typed once into the page, which keeps it in a cookie;
scripts may send `Authorization: Bearer TOKEN` instead.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import unquote

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
COOKIE = "digits_token"
TOKEN_ENV = "DIGITS_TOKEN"
WILDCARDS = ("0.0.0.0", "::", "")


def host_name(header: str) -> str:
    """The name or address in a Host header, without port, brackets or trailing dot, lower-case."""
    text = header.strip().lower()
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    return text.rstrip(".")


def machine_names() -> frozenset[str]:
    names = {socket.gethostname().lower()}
    names.add(next(iter(names)) + ".local")
    try:
        names.add(socket.getfqdn().lower())
    except OSError:
        pass
    return frozenset(n for n in names if n)


@dataclass
class Access:
    listen: str  # the address listened on
    extra: frozenset[str] = frozenset()  # --allow-host names and addresses
    token: str | None = None
    _names: frozenset[str] = field(default_factory=machine_names)
    _local: dict[str, bool] = field(default_factory=dict)

    def host_allowed(self, header: str | None) -> bool:
        if not header:
            return False
        name = host_name(header)
        if name in LOOPBACK_NAMES or name.endswith(".localhost") or name in self.extra:
            return True
        wildcard = self.listen in WILDCARDS
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return wildcard and name in self._names
        if address.is_loopback or name == self.listen.lower():
            return True
        return wildcard and self._is_local(name, address.version)

    def _is_local(self, name: str, version: int) -> bool:
        """An address of this machine is one a socket can bind to (cached, a bounded few)."""
        if name not in self._local:
            if len(self._local) > 64:
                self._local.clear()
            family = socket.AF_INET6 if version == 6 else socket.AF_INET
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                try:
                    probe.bind((name, 0))
                    self._local[name] = True
                except OSError:
                    self._local[name] = False
        return self._local[name]

    def authorised(self, headers: dict[str, str]) -> bool:
        if not self.token:
            return True
        offered = ""
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            offered = auth[7:].strip()
        else:
            for part in headers.get("cookie", "").split(";"):
                key, _, value = part.strip().partition("=")
                if key == COOKIE:
                    offered = unquote(value)
        return hmac.compare_digest(offered.encode(), self.token.encode())

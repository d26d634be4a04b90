"""Sending one webhook request without letting the URL reach what it should not (SSRF).

- HTTPS only, unless the operator allows plain HTTP (``INFLUENCERS_WEBHOOK_ALLOW_HTTP``);
- the host name is resolved once, the address is checked, and the connection goes to
  that very address (the Host header and TLS SNI/certificate check keep the name), so a
  DNS answer that changes between the check and the connection cannot redirect it;
- loopback, private, link-local, cloud metadata and other non-public addresses are
  refused unless the operator lists their network (``INFLUENCERS_WEBHOOK_ALLOWED_NETWORKS``);
- redirects are not followed (a 3xx is a failed attempt); connect and read timeouts; the
  response is read up to a cap and the connection closed.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata services: AWS/GCP/Azure/OpenStack (and their IPv6 twin on AWS), AWS ECS
# task metadata, Alibaba Cloud, Oracle Cloud. Named in the refusal so the reason is clear.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200", "192.0.0.192"))


class BlockedAddress(Exception):
    """The URL or the address it resolves to may not be contacted."""


@dataclass(frozen=True)
class AddressPolicy:
    allow_http: bool = False
    allowed_networks: tuple[str, ...] = ()
    _networks: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_networks", tuple(ipaddress.ip_network(n, strict=False)
                                                    for n in self.allowed_networks))

    def allowed(self, address: Address) -> bool:
        return any(address in network for network in self._networks if network.version == address.version)

    def check(self, address: Address) -> None:
        """Raises BlockedAddress unless ``address`` is public or in an allowed network."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if self.allowed(address):
            return
        if address in METADATA_ADDRESSES:
            kind = "a cloud metadata address"
        elif address.is_loopback:
            kind = "a loopback address"
        elif address.is_link_local:
            kind = "a link-local address"
        elif address.is_unspecified or address.is_multicast or address.is_reserved:
            kind = "not public"
        elif address.is_private:
            kind = "a private address"
        elif not address.is_global:
            kind = "not public"
        else:
            return
        raise BlockedAddress(f"{address} is {kind}; webhooks go to public addresses only "
                             f"(an operator can allow its network with INFLUENCERS_WEBHOOK_ALLOWED_NETWORKS)")

    def check_url(self, url: str) -> tuple[str, str, int, str]:
        """(scheme, host, port, path with query) of an acceptable URL, else BlockedAddress.

        Checks what can be checked without resolving the name: scheme, credentials, an
        address literal, ``localhost``. The resolved address is checked when sending.
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise BlockedAddress(f"not a valid URL: {error}") from None
        scheme = parts.scheme.lower()
        if scheme not in ("https", "http") or not parts.hostname:
            raise BlockedAddress("must be an absolute https:// URL")
        if scheme == "http" and not self.allow_http:
            raise BlockedAddress("must use https (plain http is not allowed by this server's configuration)")
        if parts.username is not None or parts.password is not None:
            raise BlockedAddress("must not contain credentials (the signature authenticates deliveries)")
        host = parts.hostname.lower().rstrip(".")
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            self.check(literal)
        elif host == "localhost" or host.endswith(".localhost"):
            self.check(ipaddress.ip_address("127.0.0.1"))
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return scheme, host, port or (443 if scheme == "https" else 80), path


@dataclass(frozen=True)
class Limits:
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    max_response_bytes: int = 64 * 1024


@dataclass
class Outcome:
    succeeded: bool
    response_code: int | None
    duration_ms: int
    error: str | None = None
    response_body: bytes = b""
    response_truncated: bool = False


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def resolve(host: str, port: int, policy: AddressPolicy) -> str:
    """The first acceptable address ``host`` resolves to (one resolution), else BlockedAddress."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise BlockedAddress(f"cannot resolve {host}: {error.strerror or error}") from None
    refusal = None
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        try:
            policy.check(address)
        except BlockedAddress as error:
            refusal = refusal or error
            continue
        return str(address)
    raise refusal or BlockedAddress(f"{host} has no address")


def _open_socket(address: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to the address literal itself (socket.create_connection would resolve it again)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((address, port))
    except BaseException:
        sock.close()
        raise
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address already checked; the Host header keeps the name."""

    def __init__(self, host, port, address, connect_timeout):
        super().__init__(host, port, timeout=connect_timeout)
        self.address = address

    def _connect_socket(self):
        return _open_socket(self.address, self.port, self.timeout)

    def connect(self):
        self.sock = self._connect_socket()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = 443

    def connect(self):
        sock = self._connect_socket()
        try:
            # SNI and certificate verification against the name, not the address.
            self.sock = _tls_context().wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def post(url: str, body: bytes, headers: dict[str, str], *, policy: AddressPolicy, limits: Limits) -> Outcome:
    """POSTs ``body`` once; never raises for network trouble (the outcome says what happened)."""
    started = time.perf_counter()

    def elapsed_ms() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        scheme, host, port, path = policy.check_url(url)
        address = resolve(host, port, policy)
    except BlockedAddress as error:
        return Outcome(False, None, elapsed_ms(), f"refused: {error}")
    cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = cls(host, port, address, limits.connect_timeout)
    response = None
    try:
        connection.connect()
        deadline = time.monotonic() + limits.read_timeout
        sock = connection.sock  # http.client drops its reference once the response says it will close
        sock.settimeout(limits.read_timeout)
        connection.request("POST", path, body=body, headers={
            "Content-Type": "application/json", "User-Agent": "influencers-webhooks/1", **headers})
        response = connection.getresponse()
        received, truncated = bytearray(), False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
            chunk = response.read1(min(65536, limits.max_response_bytes + 1 - len(received)))
            if not chunk:
                break
            received += chunk
            if len(received) > limits.max_response_bytes:
                del received[limits.max_response_bytes:]
                truncated = True
                break
        code = response.status
        ok = 200 <= code < 300
        return Outcome(ok, code, elapsed_ms(), None if ok else f"HTTP {code} {response.reason}".strip(),
                       bytes(received), truncated)
    except TimeoutError:
        return Outcome(False, None, elapsed_ms(), f"timed out (connect {limits.connect_timeout:g} s, "
                                                  f"response {limits.read_timeout:g} s)")
    except ssl.SSLError as error:
        return Outcome(False, None, elapsed_ms(), f"TLS error: {error.reason or error}")
    except (OSError, http.client.HTTPException) as error:
        return Outcome(False, None, elapsed_ms(), f"{type(error).__name__}: {error}")
    finally:
        connection.close()
        if response is not None:
            response.close()

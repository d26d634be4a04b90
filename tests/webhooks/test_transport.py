"""The delivery transport: SSRF checks, one resolution pinned for the connection, no redirects,
timeouts and a capped response."""
from __future__ import annotations

import ipaddress
import socket
import time

import pytest

from influencers.webhooks import transport
from influencers.webhooks.transport import AddressPolicy, BlockedAddress


@pytest.mark.parametrize("address, why", [
    ("127.0.0.1", "loopback"),
    ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),
    ("10.0.0.7", "private"),
    ("192.168.1.1", "private"),
    ("172.16.0.1", "private"),
    ("fd00::1", "private"),
    ("169.254.169.254", "metadata"),
    ("fd00:ec2::254", "metadata"),
    ("100.100.100.200", "metadata"),
    ("169.254.10.1", "link-local"),
    ("fe80::1", "link-local"),
    ("100.64.0.1", "not public"),
    ("0.0.0.0", "not public"),
    ("224.0.0.1", "not public"),
])
def test_non_public_addresses_are_refused_by_default(address, why):
    with pytest.raises(BlockedAddress) as refused:
        AddressPolicy().check(ipaddress.ip_address(address))
    assert why in str(refused.value)


def test_public_addresses_pass_and_the_operator_can_allow_networks():
    AddressPolicy().check(ipaddress.ip_address("93.184.216.34"))
    AddressPolicy().check(ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946"))
    allowing = AddressPolicy(allowed_networks=("127.0.0.0/8", "10.1.0.0/16"))
    allowing.check(ipaddress.ip_address("127.0.0.1"))
    allowing.check(ipaddress.ip_address("10.1.2.3"))
    with pytest.raises(BlockedAddress):
        allowing.check(ipaddress.ip_address("10.2.0.1"))
    with pytest.raises(BlockedAddress):
        allowing.check(ipaddress.ip_address("169.254.169.254"))


def _policy(**overrides):
    values = dict(allow_http=True, allowed_networks=("127.0.0.0/8",))
    values.update(overrides)
    return AddressPolicy(**values)


def _limits(**overrides):
    values = dict(connect_timeout=2.0, read_timeout=1.0, max_response_bytes=1024)
    values.update(overrides)
    return transport.Limits(**values)


def test_a_name_resolving_to_a_refused_address_is_never_connected(receiver, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", receiver.port))])
    outcome = transport.post(f"http://hooks.example.test:{receiver.port}/x", b"{}", {},
                             policy=_policy(allowed_networks=()), limits=_limits())
    assert outcome.response_code is None and "loopback" in outcome.error
    assert receiver.requests == []


def test_the_name_is_resolved_once_and_that_address_is_connected_with_the_host_kept(receiver, monkeypatch):
    calls = []

    def resolve(host, *args, **kwargs):
        calls.append(host)
        # A rebinding resolver: the second answer would point elsewhere.
        address = "127.0.0.1" if len(calls) == 1 else "10.9.9.9"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, receiver.port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    outcome = transport.post(f"http://hooks.example.test:{receiver.port}/x", b"{}", {}, policy=_policy(),
                             limits=_limits())
    assert outcome.response_code == 200, outcome.error
    assert calls == ["hooks.example.test"]
    assert receiver.requests[0].headers["Host"] == f"hooks.example.test:{receiver.port}"


def test_https_connects_to_the_checked_address_with_the_hostname_as_sni(monkeypatch):
    seen = {}

    class FakeSocket:
        def settimeout(self, value):
            seen["timeout"] = value

        def close(self):
            seen["closed"] = True

    def connect(address, port, timeout):
        seen["address"], seen["connect_timeout"] = (address, port), timeout
        return FakeSocket()

    class Context:
        def wrap_socket(self, sock, server_hostname=None):
            seen["sni"] = server_hostname
            raise OSError("handshake stopped by the test")

    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443))])
    monkeypatch.setattr(transport, "_open_socket", connect)
    monkeypatch.setattr(transport, "_tls_context", lambda: Context())
    outcome = transport.post("https://hooks.example.com/x", b"{}", {}, policy=AddressPolicy(), limits=_limits())
    assert seen["address"] == ("93.184.216.34", 443) and seen["sni"] == "hooks.example.com"
    assert seen["connect_timeout"] == 2.0
    assert "handshake stopped" in outcome.error and seen["closed"]


def test_plain_http_is_refused_without_the_allowance(receiver):
    outcome = transport.post(receiver.url, b"{}", {}, policy=_policy(allow_http=False), limits=_limits())
    assert outcome.response_code is None and "https" in outcome.error
    assert receiver.requests == []


def test_redirects_are_not_followed(receiver):
    receiver.reply(302, headers={"Location": "http://127.0.0.1:1/elsewhere"})
    outcome = transport.post(receiver.url, b"{}", {}, policy=_policy(), limits=_limits())
    assert outcome.response_code == 302 and not outcome.succeeded
    assert len(receiver.requests) == 1


def test_a_slow_receiver_times_out(receiver):
    receiver.reply(200, b"late", delay=10.0)
    started = time.perf_counter()
    outcome = transport.post(receiver.url, b"{}", {}, policy=_policy(), limits=_limits(read_timeout=0.5))
    # It gave up instead of waiting for the answer (which comes after 10 s).
    assert time.perf_counter() - started < 8
    assert not outcome.succeeded and "timed out" in outcome.error and outcome.response_code is None


def test_the_read_timeout_bounds_the_whole_response(receiver):
    receiver.reply(200, b"x" * 100, headers={"X-Trickle": "1"})  # 10 s of body, a byte at a time
    started = time.perf_counter()
    outcome = transport.post(receiver.url, b"{}", {}, policy=_policy(), limits=_limits(read_timeout=0.5))
    assert time.perf_counter() - started < 8
    assert not outcome.succeeded and "timed out" in outcome.error


def test_the_response_read_is_capped(receiver):
    receiver.reply(200, b"x" * 5_000_000)
    outcome = transport.post(receiver.url, b"{}", {}, policy=_policy(), limits=_limits(max_response_bytes=1024))
    assert outcome.succeeded and outcome.response_code == 200
    assert len(outcome.response_body) <= 1024 and outcome.response_truncated

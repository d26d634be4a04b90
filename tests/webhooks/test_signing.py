"""Signing: Standard Webhooks signatures over id, timestamp and body; secrets derived, not stored."""
import base64

from standardwebhooks import Webhook

from influencers.webhooks import signing


def test_signature_matches_the_reference_implementation():
    secret = signing.format_secret(bytes(range(32)))
    assert secret.startswith("whsec_") and base64.b64decode(secret[6:]) == bytes(range(32))
    headers = signing.headers(secret, "msg_abc", 1_700_000_000, b'{"type":"x"}')
    assert headers["webhook-id"] == "msg_abc" and headers["webhook-timestamp"] == "1700000000"
    import datetime as dt
    expected = Webhook(secret).sign("msg_abc", dt.datetime.fromtimestamp(1_700_000_000, dt.UTC),
                                    b'{"type":"x"}')
    assert headers["webhook-signature"] == expected


def test_secrets_are_derived_from_the_server_key_and_the_endpoints_salt():
    a = signing.endpoint_secret(b"server key", "salt-1")
    assert a == signing.endpoint_secret(b"server key", "salt-1")
    assert a != signing.endpoint_secret(b"server key", "salt-2")
    assert a != signing.endpoint_secret(b"other key", "salt-1")


def test_signing_with_two_secrets_lists_both_signatures():
    old, new = signing.format_secret(b"a" * 32), signing.format_secret(b"b" * 32)
    headers = signing.headers([new, old], "msg_1", 1_700_000_000, b"{}")
    assert len(headers["webhook-signature"].split(" ")) == 2

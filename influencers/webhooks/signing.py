"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

Each request carries ``webhook-id`` (the event's message id), ``webhook-timestamp``
(Unix seconds, fresh on every attempt) and ``webhook-signature``: ``v1,`` and the
base64 HMAC-SHA256 of ``"{id}.{timestamp}.{body}"`` under the endpoint's secret
(``whsec_`` + base64 of 32 bytes). Receivers verify it with any Standard Webhooks
library and reject timestamps older than a few minutes, so a captured request cannot
be replayed later; the id lets them drop a delivery they have already processed.

The secret is symmetric: we must be able to compute it again for every delivery, so
it cannot be hashed like an API key. Instead of storing it (even encrypted, with the
key beside it in the same deployment and a new dependency for the cipher) each
endpoint stores a random salt and the secret is ``HMAC-SHA256(server key, salt)``.
The server key lives outside the database (``INFLUENCERS_WEBHOOK_SECRET_KEY``, or
derived from the pseudonymisation secret), so a database dump alone yields no
signing secret, and nothing secret is written anywhere: the secret is computed in
memory, shown once at creation or rotation, and used to sign.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

SECRET_PREFIX = "whsec_"
_DERIVATION_LABEL = b"influencers webhook endpoint secrets v1"


def server_key(webhook_secret_key: bytes, pseudonym_secret: bytes) -> bytes:
    """The key endpoint secrets are derived from: the configured one, else one derived
    from the pseudonymisation secret under a label of its own (never that secret itself)."""
    if webhook_secret_key:
        return webhook_secret_key
    if not pseudonym_secret:
        raise RuntimeError("no webhook secret key: set INFLUENCERS_WEBHOOK_SECRET_KEY")
    return hmac.new(pseudonym_secret, _DERIVATION_LABEL, hashlib.sha256).digest()


def new_salt() -> str:
    return secrets.token_hex(16)


def endpoint_secret(key: bytes, salt: str) -> str:
    """The endpoint's ``whsec_`` secret for ``salt`` under the server ``key``."""
    return format_secret(hmac.new(key, salt.encode(), hashlib.sha256).digest())


def format_secret(raw: bytes) -> str:
    return SECRET_PREFIX + base64.b64encode(raw).decode()


def _raw(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_raw(secret), signed, hashlib.sha256).digest()).decode()


def headers(secrets_: str | Iterable[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The signature headers; with several secrets (during a rotation) one signature each."""
    keys = [secrets_] if isinstance(secrets_, str) else list(secrets_)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, message_id, timestamp, body) for s in keys),
    }

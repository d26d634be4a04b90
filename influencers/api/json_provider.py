"""Response bodies encoded by msgspec (a maintained C encoder) instead of the standard library.

The same JSON as Flask's provider -- keys sorted, compact, a trailing newline -- for the
values responses are made of (schemas have already turned dates and decimals into strings);
a large document (a score's explanation) costs a tenth of the time. Non-ASCII text is
written as UTF-8 rather than escaped. Types msgspec does not know go through Flask's own
conversion (``DefaultJSONProvider.default``), and documents msgspec refuses (integer keys: the
errors of list items) are written by Flask. ``dumps`` (ETags) stays Flask's, so ETags do
not change; debug mode keeps Flask's indented output.
"""
from __future__ import annotations

import msgspec
from flask.json.provider import DefaultJSONProvider


class MsgspecJSONProvider(DefaultJSONProvider):
    def __init__(self, app):
        super().__init__(app)
        self._encoder = msgspec.json.Encoder(order="sorted", enc_hook=self.default)

    def response(self, *args, **kwargs):
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)
        try:
            body = self._encoder.encode(self._prepare_response_obj(args, kwargs))
        except TypeError:  # e.g. integer keys (marshmallow's errors of list items): Flask's encoder writes them
            return super().response(*args, **kwargs)
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)

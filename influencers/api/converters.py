"""URL converters."""
from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    """A positive 64-bit resource id. Anything else is not a route: 404, never a database overflow."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)

"""URL converters."""
from werkzeug.routing import IntegerConverter

# Every id column is a 4-byte integer; the contract (path converter, query and body
# schemas, OpenAPI) says so, so a larger id is a 404 or a 422, never a database overflow.
MAX_ID = 2**31 - 1
ID_SCHEMA = {"type": "integer", "format": "int32", "minimum": 1, "maximum": MAX_ID}


class IdConverter(IntegerConverter):
    """A positive 32-bit resource id. Anything else is not a route: 404, never a database overflow."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)

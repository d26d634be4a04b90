"""URL converters."""
from werkzeug.routing import IntegerConverter

# Every id column is a 4-byte integer; the contract (path converter, query and body
# schemas, OpenAPI) says so, so a larger id is a 404 or a 422, never a database overflow.
MAX_ID = 2**31 - 1
ID_SCHEMA = {"type": "integer", "format": "int32", "minimum": 1, "maximum": MAX_ID}


class IdConverter(IntegerConverter):
    """A positive 32-bit resource id. Anything else is not a route: 404, never a database overflow."""

    # No zero and no leading zeros in the pattern itself: a value the pattern matches but
    # to_python refuses makes werkzeug answer 405 for the other methods of the path, not 404.
    regex = (r"(?:[1-9]\d{0,8}|1\d{9}|20\d{8}|21[0-3]\d{7}|214[0-6]\d{6}|2147[0-3]\d{5}|21474[0-7]\d{4}"
             r"|214748[0-2]\d{3}|2147483[0-5]\d{2}|21474836[0-3]\d|214748364[0-7])")

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)

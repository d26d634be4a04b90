"""The HTTP layer: blueprints (parse, check access, call a domain function, serialise)."""

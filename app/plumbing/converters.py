"""URL converters, registered once for every blueprint."""

from flask import Flask
from werkzeug.routing import Map, UnicodeConverter

# Longer than any chute id (a UUID is 36 characters), short enough that a fuzzed path
# never reaches a handler or a cache key.
MAX_CHUTE_ID_LENGTH = 200


class ChuteIdConverter(UnicodeConverter):
    """`<chute_id:…>`: one path segment of 1 to MAX_CHUTE_ID_LENGTH characters; a longer
    one matches no route (404)."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, minlength=1, maxlength=MAX_CHUTE_ID_LENGTH)


def init_app(app: Flask) -> None:
    # Before the blueprints are registered: their rules are compiled against this map.
    app.url_map.converters["chute_id"] = ChuteIdConverter

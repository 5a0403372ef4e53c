"""Request bodies (REST and STOMP ``SEND``) as JSON, or ``invalid_request``; no I/O.

``json.loads`` fails in more ways than ``JSONDecodeError``: a body nested
thousands deep raises ``RecursionError``, an integer of more than 4300 digits
``ValueError``. Each is the client's mistake and answered as one.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from ..errors import InvalidRequest


def parse_json_body(data: bytes | str) -> Any:
    """``data`` decoded, or ``InvalidRequest`` saying why it cannot be."""
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidRequest(f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise InvalidRequest("the body is nested too deeply to read") from None
    except ValueError:  # the only other one: an integer too long to convert
        raise InvalidRequest(
            f"the body holds an integer of more than {sys.get_int_max_str_digits()} digits"
        ) from None

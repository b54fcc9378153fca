"""Strict JSON for untrusted credentials.

Python's ``json`` module accepts things a credential must not contain: duplicate keys (the
last one silently wins, so two parsers can disagree on what was signed), ``NaN`` and
``Infinity`` (not JSON at all), and lone UTF-16 surrogates (not Unicode scalar values, so no
canonical form exists). It also has no size or depth limits. :func:`parse_json` refuses all of
these *before* any JSON-LD work starts, and says which rule was broken.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .i18n import t
from .problems import PARSING_ERROR, fail

#: Default cap on the encoded size of one document (a micro-major credential is ~10 KB).
MAX_BYTES = 512 * 1024
#: Default cap on nesting depth (an Open Badge credential nests about 8 levels).
MAX_DEPTH = 32
#: Default cap on the number of JSON values (objects, arrays, strings, numbers...).
MAX_VALUES = 20_000

_SURROGATE = re.compile("[\ud800-\udfff]")
#: A JSON escape that may decode to a surrogate (or an escaped backslash before "ud8…": then
#: every string is searched, which is only slower).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse_json(
    data: bytes | str,
    *,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_values: int = MAX_VALUES,
) -> Any:
    """Parse ``data`` as strict JSON, or raise a ``PARSING_ERROR`` problem saying why not."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise fail(
            PARSING_ERROR,
            t("Document too large"),
            t(
                "The document is {size:,} bytes; at most {limit:,} are accepted.",
                size=len(raw),
                limit=max_bytes,
            ),
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(
            PARSING_ERROR,
            t("Not UTF-8"),
            t("The document is not valid UTF-8 (byte {offset}).", offset=exc.start),
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except RecursionError:
        raise fail(PARSING_ERROR, t("Nested too deeply"), t("The JSON is nested too deeply.")) from None
    except ValueError as exc:
        raise fail(
            PARSING_ERROR,
            t("Not valid JSON"),
            t("The document is not valid JSON: {reason}.", reason=str(exc)),
        ) from None
    strings_checked = _SURROGATE_ESCAPE.search(text) is None
    check_json_limits(value, max_depth=max_depth, max_values=max_values, strings_checked=strings_checked)
    return value


def check_json_limits(
    value: Any,
    *,
    max_depth: int = MAX_DEPTH,
    max_values: int = MAX_VALUES,
    strings_checked: bool = False,
) -> None:
    """Check depth, value count and Unicode validity of an already-parsed JSON value.

    ``strings_checked``: the caller knows no string can hold a lone surrogate (the JSON text it
    was parsed from has no ``\\uD800``–``\\uDFFF`` escape), so strings need not be searched.
    """
    if isinstance(value, str):
        _check_string(value)
    elif isinstance(value, float):
        _check_number(value)
    count = 1
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
            if not strings_checked:
                for key in item:
                    _check_string(key)
        else:
            children = item
        if not children:
            continue
        count += len(children)
        if count > max_values:
            raise fail(
                PARSING_ERROR,
                t("Document too large"),
                t("The JSON has more than {limit:,} values.", limit=max_values),
            )
        if depth >= max_depth:
            raise fail(
                PARSING_ERROR,
                t("Nested too deeply"),
                t("The JSON is nested more than {limit} levels deep.", limit=max_depth),
            )
        for child in children:
            if isinstance(child, str):
                if not strings_checked:
                    _check_string(child)
            elif isinstance(child, dict | list):
                stack.append((child, depth + 1))
            elif isinstance(child, float):
                _check_number(child)


def _check_number(number: float) -> None:
    if not math.isfinite(number):
        # 1e999 parses to inf; NaN may come from a caller that built the value itself.
        raise fail(PARSING_ERROR, t("Not valid JSON"), t("A number is out of range (NaN or infinite)."))


def _check_string(text: str) -> None:
    if _SURROGATE.search(text):
        raise fail(
            PARSING_ERROR,
            t("Invalid Unicode"),
            t("A string contains a lone UTF-16 surrogate, which is not a Unicode character."),
        )

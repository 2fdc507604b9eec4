"""``--output json|text|table|yaml`` and ``--query``, as the AWS CLI prints responses.

The response is first made JSON-like (timestamps as ISO 8601 text, blobs as base64), then
``--query`` (JMESPath, the jmespath library the AWS CLI uses) picks from it, then the format
prints it. ``text`` follows the AWS CLI's rules: scalars of a structure on one tab-separated
line in key order, nested lists and structures on lines of their own headed by their key in
upper case, and list elements that are structures lined up on the union of their keys.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO

FORMATS = ("json", "text", "table", "yaml")


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def apply_query(data: Any, query: str | None) -> Any:
    if not query:
        return data
    import jmespath

    return jmespath.search(query, data)


def compile_query(query: str) -> None:
    """Raise ValueError for a query JMESPath cannot parse (a usage error, found early)."""
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        jmespath.compile(query)
    except JMESPathError as exc:
        raise ValueError(f"bad --query {query!r}: {exc}") from None


def write(data: Any, fmt: str, out: TextIO, title: str = "") -> None:
    writers: dict[str, Callable[[Any, TextIO, str], None]] = {
        "json": _json,
        "text": _text,
        "table": _table,
        "yaml": _yaml,
    }
    writers[fmt](jsonable(data), out, title)


def _json(data: Any, out: TextIO, title: str) -> None:
    out.write(json.dumps(data, indent=4, ensure_ascii=False) + "\n")


def _yaml(data: Any, out: TextIO, title: str) -> None:
    import yaml

    out.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False))


# -- text ---------------------------------------------------------------------------------


def _scalar(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _text(data: Any, out: TextIO, title: str) -> None:
    _text_item(data, out, None, None)


def _text_item(item: Any, out: TextIO, ident: str | None, keys: list[str] | None) -> None:
    if isinstance(item, dict):
        scalars, nested = _partition(item, keys)
        if scalars:
            out.write("\t".join(([ident.upper()] if ident else []) + scalars) + "\n")
        for key, value in nested:
            _text_item(value, out, key, None)
    elif isinstance(item, list):
        if not item:
            return
        if any(isinstance(e, dict) for e in item):
            union = sorted(
                {k for e in item if isinstance(e, dict) for k, v in e.items() if not _nested(v)}
            )
            for element in item:
                _text_item(element, out, ident, union)
            return
        flat = [e for e in item if not _nested(e)]
        if flat:
            if ident:
                out.writelines(f"{ident.upper()}\t{_scalar(e)}\n" for e in flat)
            else:
                out.write("\t".join(_scalar(e) for e in flat) + "\n")
        for element in item:
            if _nested(element):
                _text_item(element, out, ident, None)
    else:
        out.write(_scalar(item) + "\n")


def _nested(value: Any) -> bool:
    return isinstance(value, dict | list)


def _partition(item: dict[str, Any], keys: list[str] | None) -> tuple[list[str], list[Any]]:
    if keys is None:
        scalars = [_scalar(v) for _, v in sorted(item.items()) if not _nested(v)]
        nested = [(k, v) for k, v in sorted(item.items()) if _nested(v)]
        return scalars, nested
    scalars = [_scalar(item[k]) if k in item else "" for k in keys]
    return scalars, [(k, item[k]) for k in sorted(set(item) - set(keys))]


# -- table --------------------------------------------------------------------------------


def _table(data: Any, out: TextIO, title: str) -> None:
    """Boxes titled by operation and key, as the AWS CLI's table output draws them."""
    out.writelines(line + "\n" for line in _table_lines(data, title))


def _box(title: str, rows: list[list[str]], header: list[str] | None) -> list[str]:
    cols = len(header) if header else max((len(r) for r in rows), default=1)
    widths = [0] * cols
    for row in ([header] if header else []) + rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    inner = sum(widths) + 3 * (cols - 1) + 2
    inner = max(inner, len(title) + 4)
    if cols:  # spread any extra width over the last column
        widths[-1] += inner - (sum(widths) + 3 * (cols - 1) + 2)
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    lines = ["-" * (inner + 2), "|" + title.center(inner) + "|", rule]
    if header:
        lines += [
            "|" + "|".join(f" {h.center(w)} " for h, w in zip(header, widths, strict=True)) + "|",
            rule,
        ]
    for row in rows:
        cells = row + [""] * (cols - len(row))
        lines.append(
            "|" + "|".join(f" {c.ljust(w)} " for c, w in zip(cells, widths, strict=True)) + "|"
        )
    if rows:
        lines.append(rule)
    return lines


def _table_lines(data: Any, title: str) -> list[str]:
    if isinstance(data, dict):
        scalars = [[k, _scalar(v)] for k, v in data.items() if not _nested(v)]
        lines = _box(title, scalars, None) if (scalars or title) else []
        for key, value in data.items():
            if _nested(value):
                lines += ["  " + line for line in _table_lines(value, key)]
        return lines
    if isinstance(data, list):
        dicts = [e for e in data if isinstance(e, dict)]
        if dicts:
            header = list(dict.fromkeys(k for e in dicts for k, v in e.items() if not _nested(v)))
            rows = [[_scalar(e.get(k, "")) for k in header] for e in dicts]
            lines = _box(title, rows, header) if header else []
            for e in dicts:
                for key, value in e.items():
                    if _nested(value):
                        lines += ["  " + line for line in _table_lines(value, key)]
            return lines
        return _box(title, [[_scalar(e)] for e in data if not _nested(e)], None)
    return _box(title, [[_scalar(data)]], None)

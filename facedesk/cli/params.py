"""The AWS CLI's parameter habits from the service model: per-parameter help with the
model's documentation, ``--cli-input-json`` and ``--generate-cli-skeleton``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any


@cache
def _docs() -> Mapping[str, Any]:
    text = resources.files("facedesk.cli").joinpath("rekognition_docs.json").read_text()
    docs: Mapping[str, Any] = json.loads(text)["operations"]
    return docs


def operation_doc(operation: str) -> str:
    return str(_docs().get(operation, {}).get("doc", ""))


def member_help(operation: str, member: str, required: bool) -> str:
    """The model's first paragraph for the member, ``[required]`` first when it is.

    argparse formats help with %-style placeholders, so a literal % is doubled."""
    text = str(_docs().get(operation, {}).get("members", {}).get(member, ""))
    text = text.replace("%", "%%")
    return f"[required] {text}" if required else text


def required_members(operation: str) -> list[str]:
    from facedesk.service.validation import input_shape_name, shape

    return list(shape(input_shape_name(operation)).get("required", []))


def skeleton(shape_name: str, depth: int = 0) -> Any:
    """An example value of every member, as ``aws ... --generate-cli-skeleton`` prints."""
    from facedesk.service.validation import shape

    s = shape(shape_name)
    kind = s["type"]
    if depth > 8:  # recursive shapes (none among the face operations) stop here
        return {}
    if kind == "structure":
        return {m: skeleton(ref["shape"], depth + 1) for m, ref in s.get("members", {}).items()}
    if kind == "list":
        return [skeleton(s["member"]["shape"], depth + 1)]
    if kind == "map":
        return {"KeyName": skeleton(s["value"]["shape"], depth + 1)}
    if kind in ("integer", "long"):
        return 0
    if kind in ("float", "double"):
        return 0.0
    if kind == "boolean":
        return True
    return ""  # string (enums too, as the AWS CLI's JSON skeleton), blob, timestamp


def input_skeleton(operation: str) -> Any:
    from facedesk.service.validation import input_shape_name

    return skeleton(input_shape_name(operation))


def output_skeleton(operation: str) -> Any:
    from facedesk.service.validation import service_model

    return skeleton(service_model()["operations"][operation]["output"])


def load_input_json(text: str) -> dict[str, Any]:
    """``--cli-input-json``: the request as JSON text (``file://`` handled by the caller)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--cli-input-json is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("--cli-input-json must be a JSON object")
    return data

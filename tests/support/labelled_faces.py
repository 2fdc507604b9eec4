"""Labelled real photos for grouping: who is in which photo, as (photo name, bytes, label).

- ``bald_guys``: real/dlib/bald_guys.jpg is a collage of 24 photos (4 actors x 6). Each
  photo is cut out around its face (the face box grown by 60 % on each side), so the
  collage becomes the 24 separate photos it was made of: a grouping must never put two
  faces of one photo together, which would make the uncut collage meaningless.
- ``obama_biden``: the face_recognition photos of Obama and Biden, including the photo of
  both (two faces of one photo, which must end in different groups).
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PIL import Image

# Who is where in bald_guys.jpg (a collage, 1986x1545, 6 photos of each actor): face centres
# as ratios of the image size, labelled by eye.
# V = Vin Diesel, J = Jason Statham, B = Bruce Willis, D = Dwayne Johnson.
BALD_GUYS = [
    (0.076, 0.104, "V"),
    (0.332, 0.097, "V"),
    (0.196, 0.188, "V"),
    (0.070, 0.285, "V"),
    (0.327, 0.317, "V"),
    (0.086, 0.868, "V"),
    (0.196, 0.058, "J"),
    (0.483, 0.091, "J"),
    (0.186, 0.330, "J"),
    (0.488, 0.304, "J"),
    (0.070, 0.479, "J"),
    (0.252, 0.557, "J"),
    (0.428, 0.570, "B"),
    (0.579, 0.531, "B"),
    (0.060, 0.661, "B"),
    (0.594, 0.725, "B"),
    (0.232, 0.842, "B"),
    (0.423, 0.829, "B"),
    (0.806, 0.155, "D"),
    (0.947, 0.317, "D"),
    (0.851, 0.486, "D"),
    (0.589, 0.868, "D"),
    (0.755, 0.881, "D"),
    (0.937, 0.881, "D"),
]
BALD_GUYS_PATH = "real/dlib/bald_guys.jpg"

# (path, labels of its faces from left to right)
OBAMA_BIDEN = [
    ("real/face_recognition/obama.jpg", ["obama"]),
    ("real/face_recognition/obama2.jpg", ["obama"]),
    ("real/face_recognition/obama_small.jpg", ["obama"]),
    ("real/face_recognition/32bit.png", ["obama"]),
    ("real/face_recognition/biden.jpg", ["biden"]),
    ("real/face_recognition/obama_and_biden.jpg", ["biden", "obama"]),
]


def who_in_bald_guys(box: dict[str, float]) -> str:
    x, y = box["Left"] + box["Width"] / 2, box["Top"] + box["Height"] / 2
    return min(BALD_GUYS, key=lambda p: (p[0] - x) ** 2 + (p[1] - y) ** 2)[2]


def bald_guys_photos(testdata: Path, boxes: list[dict[str, float]]) -> list[tuple[str, bytes]]:
    """The collage cut into one JPEG per face box (boxes from indexing the collage), named
    ``bald_<label><n>.jpg``; callers index each with MaxFaces=1 and label it by name."""
    with Image.open(testdata / BALD_GUYS_PATH) as im:
        collage = im.convert("RGB")
    w, h = collage.size
    out: list[tuple[str, bytes]] = []
    seen: dict[str, int] = {}
    for box in sorted(boxes, key=lambda b: (b["Top"], b["Left"])):
        label = who_in_bald_guys(box)
        seen[label] = seen.get(label, 0) + 1
        grow_x, grow_y = box["Width"] * 0.6, box["Height"] * 0.6
        left = max(0, int((box["Left"] - grow_x) * w))
        top = max(0, int((box["Top"] - grow_y) * h))
        right = min(w, int((box["Left"] + box["Width"] + grow_x) * w))
        bottom = min(h, int((box["Top"] + box["Height"] + grow_y) * h))
        buf = io.BytesIO()
        collage.crop((left, top, right, bottom)).save(buf, "JPEG", quality=95)
        out.append((f"bald_{label}{seen[label]}.jpg", buf.getvalue()))
    return out


def index_labelled(client: Any, collection_id: str, testdata: Path) -> dict[str, str]:
    """Index both sets into ``collection_id``; returns FaceId -> label ("V", "obama", ...)."""
    labels: dict[str, str] = {}
    scratch = f"{collection_id}-collage"
    client.create_collection(CollectionId=scratch)
    collage = client.index_faces(
        CollectionId=scratch,
        Image={"Bytes": (testdata / BALD_GUYS_PATH).read_bytes()},
        QualityFilter="NONE",
    )
    client.delete_collection(CollectionId=scratch)
    boxes = [r["Face"]["BoundingBox"] for r in collage["FaceRecords"]]
    for name, data in bald_guys_photos(testdata, boxes):
        r = client.index_faces(
            CollectionId=collection_id,
            Image={"Bytes": data},
            ExternalImageId=name,
            MaxFaces=1,
            QualityFilter="NONE",
        )
        for rec in r["FaceRecords"]:
            labels[rec["Face"]["FaceId"]] = name[5]
    for path, people in OBAMA_BIDEN:
        r = client.index_faces(
            CollectionId=collection_id,
            Image={"Bytes": (testdata / path).read_bytes()},
            ExternalImageId=path.rsplit("/", 1)[1],
            MaxFaces=len(people),
        )
        faces = sorted(r["FaceRecords"], key=lambda rec: rec["Face"]["BoundingBox"]["Left"])
        for rec, label in zip(faces, people, strict=True):
            labels[rec["Face"]["FaceId"]] = label
    return labels


LABELLED_CID = "lab"  # the collection of the session's labelled library (tests/conftest.py)


def labelled_library(path: Path, collection_id: str, testdata: Path) -> dict[str, str]:
    """A SQLite library at ``path`` whose ``collection_id`` holds both sets, indexed once
    (tests/conftest.py's session fixture; the people tests copy it per test); FaceId -> label."""
    import facedesk

    with facedesk.client(database=str(path)) as c:
        c.create_collection(CollectionId=collection_id)
        return index_labelled(c, collection_id, testdata)


@contextmanager
def app_and_fresh_client(src: Path, folder: Path, **options: Any) -> Iterator[tuple[Any, Any]]:
    """A copy of the library ``src`` (in ``folder``) opened by two clients: the app's, whose
    people listings keep their state between actions, and a second one on the same file,
    which sees none of the first's actions, so its every listing is a full recompute."""
    import facedesk

    dst = folder / "copy.db"
    shutil.copyfile(src, dst)
    app = facedesk.client(database=str(dst), **options)
    other = facedesk.client(database=str(dst), **options)
    try:
        yield app, other
    finally:
        app.close()
        other.close()


def split_into_people(
    people: Any, collection_id: str, labels: dict[str, str], *, second_obama: bool = False
) -> dict[str, list[str]]:
    """Name more people than the candidates scored per group, so the nearest-people step
    and its updates are exercised: each bald actor split in two people (V and B in three),
    Barack Obama and Joe Biden; ``second_obama`` names Obama's third face as a person of
    its own. ``people`` is a ``PeopleGroups``; returns label -> the FaceIds of its group as
    grouped before any naming."""
    by_label: dict[str, list[str]] = {}
    for g in people.groups(collection_id).groups:
        by_label[labels[g.face_ids[0]]] = list(g.face_ids)
    for label in ("V", "J", "B", "D"):
        people.name_faces(collection_id, by_label[label][:1], f"{label} one")
        people.name_faces(collection_id, by_label[label][1:2], f"{label} two")
    people.name_faces(collection_id, by_label["V"][2:3], "V three")
    people.name_faces(collection_id, by_label["B"][2:3], "B three")
    people.name_faces(collection_id, by_label["obama"][:2], "Barack Obama")
    if second_obama:
        people.name_faces(collection_id, by_label["obama"][2:3], "Obama two")
    people.name_faces(collection_id, by_label["biden"][:1], "Joe Biden")
    return by_label

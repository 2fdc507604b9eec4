"""Synthetic dlib-like faces and a real SQLite library holding them, for the vector-index tests
(test_ann_search.py, test_vector_tombstones.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from facedesk.core.types import BoundingBox, CollectionInfo, ImageInfo, StoredFace
from facedesk.storage import code_scan
from facedesk.storage.database import Database

DIM = 128
T0 = datetime(2026, 1, 1, tzinfo=UTC)

#: ``codes`` for VectorIndex: the tests of the candidate path run with each kind of source,
#: the HNSW graph and the code scan (which needs faiss, the fast-search extra).
SOURCES = pytest.mark.parametrize(
    "codes",
    [
        pytest.param(False, id="graph"),
        pytest.param(
            True,
            id="codes",
            marks=pytest.mark.skipif(not code_scan.available(), reason="faiss is not installed"),
        ),
    ],
)


def dlib_like_faces(
    rng: np.random.Generator, n: int, prefix: str = "f"
) -> tuple[list[str], np.ndarray]:
    """``n`` face ids and float32 vectors shaped like dlib's: one common mean, identity
    centres, about 4 photos per identity."""
    mu = rng.normal(0.0, 0.09, DIM)
    centres = mu + rng.normal(0, 0.045, size=(max(1, n // 4), DIM))
    m = centres[rng.integers(0, centres.shape[0], n)] + rng.normal(0, 0.025, (n, DIM))
    return [f"{prefix}{i:06d}" for i in range(n)], m.astype(np.float32)


def library_with_faces(path: Path, ids: list[str], m: np.ndarray) -> Database:
    """A SQLite library at ``path`` with collection "c" holding the faces, generation bumped."""
    db = Database(path)
    with db.unit_of_work() as uow:
        uow.collections.add(
            CollectionInfo("c", "1.0", "arn", created_at=T0, face_count=0, user_count=0)
        )
        uow.images.upsert(ImageInfo("img", "0" * 64, 1, 100, 100, "JPEG"))
        uow.faces.add_many(
            [
                StoredFace(
                    face_id=f,
                    collection_id="c",
                    image_id="img",
                    external_image_id=None,
                    bounding_box=BoundingBox(0.1, 0.1, 0.2, 0.2),
                    confidence=99.0,
                    model_version="1.0",
                    embedding=v,
                    indexed_at=T0,
                )
                for f, v in zip(ids, m, strict=True)
            ]
        )
        uow.collections.bump_generation("c")
        uow.commit()
    return db


def embeddings_loader(db: Database) -> Callable[[], tuple[list[str], np.ndarray]]:
    """What the service hands a VectorIndex: collection "c"'s ids and vectors, read fresh."""

    def load() -> tuple[list[str], np.ndarray]:
        with db.unit_of_work(read_only=True) as uow:
            return uow.faces.embeddings("c")

    return load

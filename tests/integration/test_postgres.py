"""PostgreSQL with pgvector, on a real private server (pgserver): searches in the database give
the same faces and bit-identical similarities as the in-process index on SQLite; a small
collection beside a large one still gets its candidates; the exact fallback finds every match;
a 0001 database (bytea embeddings) migrates to pgvector without losing a bit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from facedesk.core.types import ImageInfo, StoredFace
from facedesk.storage.database import Database
from facedesk.storage.postgres import MAX_CANDIDATES
from facedesk.storage.vector_index import VectorIndex
from tests.integration.test_storage_repositories import collection, face, image

PHOTOS = [
    "real/face_recognition/obama.jpg",
    "real/face_recognition/obama2.jpg",
    "real/face_recognition/biden.jpg",
    "real/face_recognition/two_people.jpg",
    "real/face_recognition/obama_and_biden.jpg",
]


def _faces(cid: str, img: ImageInfo, vectors: np.ndarray, start: int = 0) -> list[StoredFace]:
    faces = [face(cid, start + i, img) for i in range(len(vectors))]
    return [
        StoredFace(**{**f.__dict__, "embedding": v.astype(np.float32)})
        for f, v in zip(faces, vectors, strict=True)
    ]


def _store(db: Database, cid: str, vectors: np.ndarray) -> list[StoredFace]:
    img = image(1)
    faces = _faces(cid, img, vectors)
    with db.unit_of_work() as uow:
        uow.collections.add(collection(cid))
        uow.images.upsert(img)
        for start in range(0, len(faces), 1000):
            uow.faces.add_many(faces[start : start + 1000])
        uow.commit()
    return faces


def _clustered(rng: np.random.Generator, n: int) -> np.ndarray:
    """Descriptor-like data: people (centres at ~0.9 apart) with faces ~0.4 from their centre."""
    centres = rng.standard_normal((max(1, n // 8), 128)) * (0.9 / np.sqrt(2 * 128))
    who = rng.integers(0, len(centres), n)
    return (centres[who] + rng.standard_normal((n, 128)) * (0.4 / np.sqrt(128))).astype(np.float32)


def test_same_faces_and_similarities_as_sqlite(
    pg_server: Any, tmp_path: Path, testdata: Path
) -> None:
    import facedesk

    results: dict[str, list[Any]] = {}
    for backend, url in (("sqlite", str(tmp_path / "s.db")), ("pg", pg_server.new_database())):
        with facedesk.client(database=url) as c:
            c.create_collection(CollectionId="c")
            ids = []
            for name in PHOTOS:
                r = c.index_faces(
                    CollectionId="c",
                    Image={"Bytes": (testdata / name).read_bytes()},
                    ExternalImageId=Path(name).name,
                )
                ids += [rec["Face"]["FaceId"] for rec in r["FaceRecords"]]
            found = []
            for fid in ids:
                r = c.search_faces(CollectionId="c", FaceId=fid, FaceMatchThreshold=0)
                found.append([(m["Face"]["FaceId"], m["Similarity"]) for m in r["FaceMatches"]])
            probe = {"Bytes": (testdata / PHOTOS[1]).read_bytes()}
            r = c.search_faces_by_image(CollectionId="c", Image=probe)
            found.append([(m["Face"]["FaceId"], m["Similarity"]) for m in r["FaceMatches"]])
            results[backend] = found
    assert len(results["sqlite"]) >= 8
    assert any(len(hits) >= 2 for hits in results["sqlite"])
    assert results["pg"] == results["sqlite"]  # same faces, same order, identical floats


def test_small_collection_beside_a_large_one_and_recall(pg_db: Database) -> None:
    rng = np.random.default_rng(7)
    big = _clustered(rng, 3000)
    _store(pg_db, "big", big)
    small = _clustered(rng, 5)
    small_faces = _store(pg_db, "small", small)
    with pg_db.unit_of_work(read_only=True) as uow:
        hits = uow.faces.nearest("small", small[0], 10)
    assert sorted(fid for fid, _ in hits) == sorted(f.face_id for f in small_faces)

    exact = VectorIndex(
        lambda: ([f"f{i:04d}-0000-4000-8000-000000000000" for i in range(3000)], big)
    )
    queries = _clustered(rng, 50)
    agree = 0
    with pg_db.unit_of_work(read_only=True) as uow:
        for q in queries:
            got = uow.faces.nearest("big", q, 10)
            want = exact.search(q, 10)
            agree += len({f for f, _ in got} & {f for f, _ in want})
            # Distances of the faces both found are the same floats.
            common = dict(want)
            assert all(d == common[f] for f, d in got if f in common)
    assert agree / (10 * len(queries)) >= 0.95


def test_every_match_past_the_candidate_list(pg_db: Database) -> None:
    rng = np.random.default_rng(3)
    centre = rng.standard_normal(128).astype(np.float32) * 0.05
    near = centre + rng.standard_normal((MAX_CANDIDATES + 300, 128)).astype(np.float32) * 0.002
    far = rng.standard_normal((200, 128)).astype(np.float32)
    _store(pg_db, "crowd", np.concatenate([near, far]))
    with pg_db.unit_of_work(read_only=True) as uow:
        hits = uow.faces.nearest("crowd", centre, 4096, max_distance=0.5)
        few = uow.faces.nearest("crowd", centre, 3, max_distance=0.5)
    assert len(hits) == len(near)
    assert [d for _, d in hits] == sorted(d for _, d in hits)
    assert few == hits[:3]


def test_bytea_embeddings_migrate_to_pgvector_bit_exact(pg_server: Any) -> None:
    import sqlalchemy as sa
    from alembic import command

    url = pg_server.new_database()
    db = Database(url)  # at head; go back to a 0001 schema the way an old facedesk made it
    db.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    rng = np.random.default_rng(11)
    vectors = rng.standard_normal((30, 128)).astype(np.float32)
    with engine.connect() as conn:
        config = Database.__new__(Database)._alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.exec_driver_sql(
            "INSERT INTO collections (pk, collection_id, face_model_version, arn, created_at) "
            "VALUES (1, 'old', '1.0', 'arn', now())"
        )
        conn.exec_driver_sql("INSERT INTO images VALUES ('img', 'sha', 1, 100, 100, 'JPEG')")
        for i, v in enumerate(vectors):
            conn.execute(
                sa.text(
                    "INSERT INTO faces (collection_pk, face_id, image_id, box_left, box_top, "
                    "box_width, box_height, confidence, model_version, embedding, indexed_at) "
                    "VALUES (1, :f, 'img', 0, 0, 1, 1, 99, '1.0', :e, now())"
                ),
                {"f": f"{i:08d}-0000-4000-8000-000000000000", "e": v.astype("<f4").tobytes()},
            )
        conn.commit()
    engine.dispose()
    db = Database(url)  # migrates 0001 -> head
    try:
        with db.unit_of_work(read_only=True) as uow:
            ids, matrix = uow.faces.embeddings("old")
            hits = uow.faces.nearest("old", vectors[4], 1)
        assert np.array_equal(matrix, vectors)  # ids are in index order
        assert hits[0][0] == ids[4] and hits[0][1] == 0.0
        with db.engine.connect() as conn:
            kind = conn.exec_driver_sql(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = 'faces'::regclass AND attname = 'embedding'"
            ).scalar()
            indexes = (
                conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE tablename = 'faces'")
                .scalars()
                .all()
            )
        assert kind == "vector(128)"
        assert "ix_faces_embedding_hnsw_c1" in indexes
    finally:
        db.dispose()
        pg_server.drop_database(url)


def test_schema_from_migrations_matches_the_orm_on_postgresql(pg_server: Any) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from facedesk.storage.orm import Base, autogenerate_filter

    url = pg_server.new_database()
    db = Database(url)
    try:
        with db.unit_of_work() as uow:
            uow.collections.add(collection("x"))
            uow.commit()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={"compare_type": True, "include_object": autogenerate_filter("postgresql")},
            )
            assert compare_metadata(context, Base.metadata) == []
        with db.unit_of_work() as uow:
            uow.collections.delete("x")
            uow.commit()
        with db.engine.connect() as conn:
            left = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'ix_faces_embedding_hnsw%%'"
            ).scalar()
        assert left == 0
    finally:
        db.dispose()
        pg_server.drop_database(url)

"""Natural order: what a file manager shows, not what a byte comparison gives."""

from __future__ import annotations

from facedesk.core.sorting import natural_key


def test_numbers_compare_as_numbers_and_case_is_ignored() -> None:
    names = ["img12.jpg", "IMG2.jpg", "img1.jpg", "img10b.jpg", "img10a.jpg", "img100.jpg"]
    assert sorted(names, key=natural_key) == [
        "img1.jpg",
        "IMG2.jpg",
        "img10a.jpg",
        "img10b.jpg",
        "img12.jpg",
        "img100.jpg",
    ]


def test_accents_fold_and_leading_zeros_count_as_the_number() -> None:
    assert sorted(["Zoë", "zoe2", "Émile", "emil"], key=natural_key) == [
        "emil",
        "Émile",
        "Zoë",
        "zoe2",
    ]
    assert natural_key("photo_007") == natural_key("PHOTO_7")


def test_numbers_and_words_never_compare_directly() -> None:
    # a leading number sorts before a leading word instead of raising TypeError
    assert sorted(["b", "2", "a1", "10"], key=natural_key) == ["2", "10", "a1", "b"]


def test_eta_counts_only_files_that_needed_work() -> None:
    from facedesk.qt.models.file_result_model import eta_seconds

    # 100 files, 50 done in 20 s, but 40 of those were unchanged (instant): 10 worked, at
    # 2 s each; the 50 left hold about 10 that need work -> about 20 s, not 20 s * 50/50
    assert eta_seconds(20.0, 50, 10, 100) == 20.0
    assert eta_seconds(10.0, 10, 10, 30) == 20.0  # nothing skipped: the plain rate
    assert eta_seconds(1.0, 5, 0, 10) is None  # only unchanged files so far: no rate yet
    assert eta_seconds(1.0, 0, 0, 10) is None and eta_seconds(1.0, 3, 3, None) is None

"""When a collection's HNSW index is checked, and which candidate list a check chooses
(facedesk.storage.postgres_check's rules, without a server)."""

from __future__ import annotations

from facedesk.storage import postgres, postgres_check


def test_when_a_check_is_due() -> None:
    due, at = postgres_check.due, postgres_check.CHECK_FROM
    assert not due(at - 1, None)
    assert due(at, None)
    assert not due(2 * at - 1, at)
    assert due(2 * at, at)


def test_the_shortest_passing_list_is_chosen() -> None:
    fail, ok = postgres_check.Verdict(100, 0.9, 0.8), postgres_check.Verdict(100, 1.0, 1.0)
    assert postgres_check.choose((200, 400, 1000), [fail, ok]) == (400, ok)
    assert postgres_check.choose((200, 400, 1000), [fail, fail, fail]) == (postgres.EXACT, fail)


def test_a_sample_is_scored_against_the_exact_answers() -> None:
    a, b, c = ("a", 0.1), ("b", 0.2), ("c", 0.3)
    truth = [([a, b], [a]), ([b, c], [b, c])]
    got = [([a, c], [a]), ([b, c], [b])]  # one top-2 face and one match lost
    assert postgres_check.score(got, truth) == postgres_check.Verdict(2, 0.75, 0.5)
    assert postgres_check.score(truth, truth).passed
    assert postgres_check.score([], []) == postgres_check.Verdict(0, 1.0, 1.0)

"""Work shared with forked processes: every item of a list is claimed once, by one process."""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator

import pytest

from generator.site.forking import MAX_CHUNKS, Claims, in_forks


@pytest.mark.parametrize("count", [0, 1, 7, MAX_CHUNKS, MAX_CHUNKS + 1, 4 * MAX_CHUNKS + 3])
def test_one_process_claims_every_item_once_in_order(count: int) -> None:
    with Claims(count) as claims:
        assert list(claims) == list(range(count))
        assert list(claims) == []  # claimed already


def claimed(claims: Claims, share: int) -> Iterator[int]:
    yield from claims  # each item sent back on its own


@pytest.mark.skipif(sys.platform != "linux", reason="builds fork only on Linux")
def test_processes_sharing_a_list_claim_each_item_once_between_them() -> None:
    with Claims(3 * MAX_CHUNKS + 5) as claims:
        shares = in_forks(functools.partial(claimed, claims))
    assert len(shares) == 2
    every = [item for share in shares for item in share]
    assert sorted(every) == list(range(3 * MAX_CHUNKS + 5))  # none twice, none left
    assert all(share == sorted(share) for share in shares)  # each in page order

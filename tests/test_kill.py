"""SIGKILL during ``kg ingest``, repeatedly: the store stays openable with no partial record.

The campaign and its consistency check are :mod:`fuzz.kill`'s (``make fuzz`` runs 50 kills);
the unit suite runs 12."""

from __future__ import annotations

import pytest

from fuzz.kill import campaign

KILLS = 12


@pytest.mark.slow
def test_sigkill_during_ingest_never_leaves_a_partial_record() -> None:
    # A committed first version, so kills also land while older loads are being replaced; the
    # kills land between 0.2x and 1.6x of one whole ingest: before, during and after commit.
    counts = campaign(KILLS, seed=7, echo=False)
    print(counts)
    assert counts["kills"] == KILLS
    assert counts["partial_records"] == 0, counts
    # After all the kills, a normal ingest completes and the store is whole.
    assert counts["final_ok"] == 1, counts
    assert counts["killed_mid_run"] >= 1, "no kill landed while an ingest ran"

"""The case state, kept fact by fact (`return_case._Standing`), says what the rules say.

`derive_state` and `build_timeline` fold the facts one at a time, so a timeline of n facts
costs n steps, not n^2 (a carrier's 214 with 40,000 status events used to take minutes in the
follow-ups). The oracle below is the rules written as plainly as they read in the module doc,
over every prefix of the facts, each time from scratch: the fold must agree on every generated
set of facts, in any order they come.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domain.return_case import (
    MAIN_PATH_RANK,
    VERDICTS,
    DocumentKind,
    DocumentRef,
    Fact,
    build_timeline,
    derive_decision,
    derive_state,
)
from gateway.model.states import CaseState

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
_RESTRICTIVENESS = {CaseState.AUTHORIZED: 0, CaseState.PARTIALLY_AUTHORIZED: 1,
                    CaseState.DENIED: 2}


def plain_rules(facts: list[Fact]) -> CaseState:
    """Rules 1-5 of the module doc, read from all the facts at once."""
    progress = [f for f in facts if f.asserts in MAIN_PATH_RANK]
    cancellations = [f.at for f in facts if f.asserts is CaseState.CANCELLED]
    if cancellations and not any(f.at > max(cancellations) for f in progress):
        return CaseState.CANCELLED
    if not progress:
        return CaseState.REQUESTED
    furthest = max(MAIN_PATH_RANK[f.asserts] for f in progress if f.asserts is not None)
    decision = plain_decision(facts)
    if furthest == MAIN_PATH_RANK[CaseState.AUTHORIZED] and decision is not None:
        return decision
    return next(state for state, rank in MAIN_PATH_RANK.items() if rank == furthest)


def plain_decision(facts: list[Fact]) -> CaseState | None:
    """The standing answer: the latest verdict, else PENDING when one was given."""
    verdicts = [f for f in facts if f.asserts in VERDICTS]
    if verdicts:
        # The latest; on the same moment the most restrictive (equal keys: the same verdict).
        return max(verdicts, key=lambda f: (f.at, _RESTRICTIVENESS[f.asserts])).asserts
    if any(f.asserts is CaseState.PENDING for f in facts):
        return CaseState.PENDING
    return None


FACTS = st.lists(st.builds(
    Fact,
    asserts=st.sampled_from([*CaseState, None]),
    # Few distinct moments, so that ties (the hard part of the rules) are common.
    at=st.integers(0, 6).map(lambda hours: START + timedelta(hours=hours)),
    cause=st.sampled_from([DocumentRef(DocumentKind.RETURN_AUTHORIZATION, "RR1"),
                           DocumentRef(DocumentKind.SHIPMENT_STATUS, "S1", "000000001"),
                           DocumentRef(DocumentKind.SHIPMENT_STATUS, "S1", "000000002"),
                           DocumentRef(DocumentKind.INTERNAL, "step")]),
    note=st.sampled_from(["", "a", "b"])), max_size=14)


@settings(max_examples=600)
@given(facts=FACTS)
def test_the_state_is_what_the_rules_say_of_all_the_facts(facts: list[Fact]) -> None:
    assert derive_state(facts) == plain_rules(facts)
    assert derive_state(reversed(facts)) == plain_rules(facts)
    assert derive_decision(facts) == derive_decision(reversed(facts)) == plain_decision(facts)


@settings(max_examples=400)
@given(facts=FACTS)
def test_each_timeline_entry_is_the_state_of_the_facts_up_to_it(facts: list[Fact]) -> None:
    timeline = build_timeline(facts)
    assert len(timeline) == len(facts)
    ordered = [Fact(e.asserts, e.at, e.cause, e.note, e.timed_by) for e in timeline]
    assert sorted(map(repr, ordered)) == sorted(map(repr, facts))
    before = None
    for position, entry in enumerate(timeline, start=1):
        assert entry.state_before == before
        assert entry.state_after == plain_rules(ordered[:position])
        before = entry.state_after


def test_a_timeline_of_many_status_events_is_built_in_linear_time() -> None:
    """Ten thousand in-transit events: each entry costs the same however many came before
    (measured against the same work at a tenth of the size, with a wide margin for a loaded
    machine: quadratic work would be ~100x, linear ~10x)."""
    def built(count: int) -> float:
        facts = [Fact(CaseState.IN_TRANSIT, START + timedelta(minutes=n),
                      DocumentRef(DocumentKind.SHIPMENT_STATUS, "S1", f"{n:09d}"), "")
                 for n in range(count)]
        started = time.process_time()
        timeline = build_timeline(facts)
        assert timeline[-1].state_after is CaseState.IN_TRANSIT
        return time.process_time() - started

    small, large = min(built(1_000) for _ in range(3)), min(built(10_000) for _ in range(3))
    assert large < max(small, 0.005) * 40

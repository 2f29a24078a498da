"""The status table, without a database."""

from hypothesis import given
from hypothesis import strategies as s

from deliveries import status as st


def test_every_final_status_outranks_every_interim_one():
    finals = [v for v in st.PRECEDENCE if st.is_final(v)]
    interims = [v for v in st.PRECEDENCE if not st.is_final(v)]
    assert min(st.rank(f) for f in finals) > max(st.rank(i) for i in interims)


def test_a_positive_final_outranks_a_negative_one():
    assert st.current_status({"undelivered", "delivered"}) == "delivered"
    assert st.current_status({"delivered", "read"}) == "read"
    assert st.current_status({"busy", "answered"}) == "answered"


def test_unknown_never_hides_a_known_status():
    assert st.current_status({"unknown", "sent"}) == "sent"
    assert st.current_status(set()) == "unknown"


def test_ranks_are_unique_so_the_choice_is_deterministic():
    assert len(set(st.PRECEDENCE.values())) == len(st.PRECEDENCE)


@given(s.lists(s.sampled_from(sorted(st.PRECEDENCE)), min_size=1))
def test_the_current_status_does_not_depend_on_order(statuses):
    assert st.current_status(statuses) == st.current_status(list(reversed(statuses)))
    assert st.current_status(statuses) == st.current_status(sorted(statuses))

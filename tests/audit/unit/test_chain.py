"""The pure hash-chain module: canonical form, links, head lines. No database."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.audit.domain import chain


def entry(**overrides):
    values = {
        "id": 7,
        "at": datetime(2025, 3, 1, 14, 5, 9, 123, tzinfo=UTC),
        "user_id": 3,
        "user_email": "frontdesk@clinic.test",
        "roles": ["front_desk"],
        "locations": [2, 1],
        "action": "view",
        "object_type": "inquiries.inquiry",
        "object_id": "41",
        "patient_id": None,
        "ip": "203.0.113.9",
        "user_agent": "Firefox",
        "path": "/staff/inquiries/41/",
        "detail": {"query": "q=robin"},
    }
    values.update(overrides)
    return values


def test_canonical_json_is_sorted_compact_utf8_with_utc_time():
    canonical = chain.canonical_json(chain.canonical_entry(entry(user_email="zoë@clinic.test")))

    assert (
        canonical
        == (
            '{"action":"view","at":"2025-03-01T14:05:09.000123Z","detail":{"query":"q=robin"},'
            '"id":7,"ip":"203.0.113.9","locations":[1,2],"object_id":"41",'
            '"object_type":"inquiries.inquiry","path":"/staff/inquiries/41/","patient_id":null,'
            '"roles":["front_desk"],"user_agent":"Firefox","user_email":"zoë@clinic.test",'
            '"user_id":3,"v":1}'
        ).encode()
    )


def test_the_same_moment_in_another_zone_gives_the_same_link():
    here = entry()
    elsewhere = entry(at=here["at"].astimezone(timezone(timedelta(hours=-5))))

    assert chain.link_hash(chain.GENESIS, here) == chain.link_hash(chain.GENESIS, elsewhere)


def test_link_is_sha256_of_previous_hex_and_canonical_json():
    values = entry()
    expected = hashlib.sha256(
        chain.GENESIS.encode() + chain.canonical_json(chain.canonical_entry(values))
    ).hexdigest()

    assert chain.link_hash(chain.GENESIS, values) == expected


def test_naive_timestamps_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        chain.link_hash(chain.GENESIS, entry(at=datetime(2025, 3, 1)))


def test_a_malformed_previous_link_is_refused():
    with pytest.raises(ValueError, match="64 lowercase hex"):
        chain.link_hash("abc", entry())


@given(
    field=st.sampled_from(["user_email", "action", "object_id", "path", "user_agent"]),
    text=st.text(min_size=1, max_size=30),
)
def test_any_change_of_content_changes_the_link(field, text):
    original = entry()
    changed = entry(**{field: original[field] + text})

    assert chain.link_hash(chain.GENESIS, changed) != chain.link_hash(chain.GENESIS, original)


def test_a_link_depends_on_the_previous_one():
    values = entry()

    assert chain.link_hash(chain.GENESIS, values) != chain.link_hash("f" * 64, values)


def test_head_lines_round_trip():
    head = chain.Head(
        seq=12, entry_id=340, hash="ab" * 32, sealed_at=datetime(2025, 3, 1, 6, tzinfo=UTC)
    )

    line = chain.format_head(head)

    assert line == f"2025-03-01T06:00:00.000000Z seq=12 entry=340 hash={'ab' * 32}"
    assert chain.parse_head(line) == head


@pytest.mark.parametrize(
    "line",
    ["", "seq=1 hash=00", f"2025-03-01T06:00:00.000000Z seq=x entry=1 hash={'0' * 64}", "junk"],
)
def test_bad_head_lines_are_refused(line):
    with pytest.raises(ValueError, match="chain head line"):
        chain.parse_head(line)

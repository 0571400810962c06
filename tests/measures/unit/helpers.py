"""Answer-set builders shared by the instrument tests."""

from __future__ import annotations

from ketaclinic.measures.instruments import Instrument


def uniform(instrument: Instrument, which: str) -> dict[str, int]:
    """Every item at its lowest ("min") or highest ("max") answer."""
    return {
        item.id: item.min_value if which == "min" else item.max_value for item in instrument.items
    }


def with_total(instrument: Instrument, total: int) -> dict[str, int]:
    """A complete answer set scoring exactly ``total`` (sum or domain-maximum scoring)."""
    answers = {item.id: item.min_value for item in instrument.items}
    remaining = total
    domains = instrument.definition.scoring.domains
    if domains is not None:
        for group in domains:
            first = instrument.definition.item(group.items[0])
            value = min(first.max_value, remaining)
            answers[first.id] = value
            remaining -= value
    else:
        for item in instrument.items:
            value = min(item.max_value, remaining)
            answers[item.id] = value
            remaining -= value
    assert remaining == 0, f"{instrument.id} cannot reach {total}"
    return answers

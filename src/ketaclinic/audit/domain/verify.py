"""Check the access log against its hash chain and the exported chain heads.

Walks the seals in order, recomputes every link from the entry as stored now, and
stops at the first thing that is wrong:

- a seal is missing (seals deleted), or names entries out of order;
- an entry in the sealed range has no seal (added after sealing);
- a sealed entry is gone (deleted);
- an entry's content does not give its seal's hash (edited, or rows swapped);
- an exported head (heads file, emailed head) disagrees with the chain, or names a
  seal the chain no longer has (the chain was cut and rebuilt).

Reads in chunks of seals, so memory stays flat however long the log is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ketaclinic.audit.domain import chain
from ketaclinic.audit.models import AccessLog, AuditSeal


@dataclass(frozen=True)
class Problem:
    message: str
    seq: int | None = None
    entry_id: int | None = None


@dataclass(frozen=True)
class Result:
    sealed: int
    last_entry_id: int
    head_hash: str
    unsealed: int
    problem: Problem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify_chain(
    expected_heads: Iterable[tuple[str, chain.Head]] = (), *, chunk_size: int = 2000
) -> Result:
    """Verify; ``expected_heads`` are (where it came from, head) pairs to compare."""
    expected: dict[int, list[tuple[str, chain.Head]]] = {}
    for source, head in expected_heads:
        expected.setdefault(head.seq, []).append((source, head))
    previous, last_seq, last_entry = chain.GENESIS, 0, 0

    def result(problem: Problem | None) -> Result:
        unsealed = AccessLog.objects.filter(id__gt=last_entry).count()
        return Result(last_seq, last_entry, previous, unsealed, problem)

    while True:
        seals = list(
            AuditSeal.objects.filter(seq__gt=last_seq)
            .order_by("seq")
            .values_list("seq", "entry_id", "hash")[:chunk_size]
        )
        if not seals:
            break
        top = max(entry_id for _, entry_id, _ in seals)
        entries = {
            values["id"]: values
            for values in AccessLog.objects.filter(id__gt=last_entry, id__lte=top).values(
                *chain.ENTRY_FIELDS
            )
        }
        stored_ids = iter(sorted(entries))  # each good seal consumes exactly one
        for seq, entry_id, stored in seals:
            if seq != last_seq + 1:
                return result(
                    Problem(
                        f"seal {last_seq + 1} is missing (the next seal is {seq}): "
                        "seals were deleted",
                        seq=last_seq + 1,
                    )
                )
            if entry_id <= last_entry:
                return result(
                    Problem(
                        f"seal {seq} names entry {entry_id}, which does not come after "
                        f"entry {last_entry}: the seals are out of order",
                        seq=seq,
                        entry_id=entry_id,
                    )
                )
            found = next(stored_ids, None)
            if found is not None and found < entry_id:
                return result(
                    Problem(
                        f"entry {found} lies inside the sealed part of the log but has no "
                        "seal: it was added after sealing",
                        entry_id=found,
                    )
                )
            if found != entry_id:
                return result(Problem(f"entry {entry_id} (seal {seq}) was deleted", seq, entry_id))
            if chain.link_hash(previous, entries[entry_id]) != stored:
                return result(
                    Problem(
                        f"entry {entry_id} (seal {seq}) was altered or moved: its content "
                        "no longer gives the hash it was sealed with",
                        seq,
                        entry_id,
                    )
                )
            for source, head in expected.get(seq, ()):
                if head.hash != stored or head.entry_id not in (None, entry_id):
                    return result(
                        Problem(
                            f"{source} says seal {seq} is {_describe(head.entry_id, head.hash)}"
                            f", but the chain has {_describe(entry_id, stored)}: the log was "
                            "rebuilt after that head was exported",
                            seq,
                            entry_id,
                        )
                    )
            previous, last_seq, last_entry = stored, seq, entry_id
    beyond = [pair for seq, pairs in expected.items() if seq > last_seq for pair in pairs]
    if beyond:
        source, head = min(beyond, key=lambda pair: pair[1].seq)
        return result(
            Problem(
                f"{source} names seal {head.seq}, but the chain ends at seal {last_seq}: "
                "sealed entries and their seals were removed",
                head.seq,
                head.entry_id,
            )
        )
    return result(None)


def _describe(entry_id: int | None, digest: str) -> str:
    return f"hash {digest}" if entry_id is None else f"entry {entry_id} with hash {digest}"

"""docs/security.md's permission matrix is the one the code enforces.

Every row of the matrix is evaluated through ``rules`` for a user of each role who
works at Riverside, against a Riverside record and a Hillcrest record. A permission
registered in code but missing from the matrix fails the suite, and so does a
matrix row that names no registered permission.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rules

from ketaclinic.accounts.roles import Role
from tests.factories import UserFactory

SECURITY_MD = Path(__file__).resolve().parents[2] / "docs" / "security.md"
ROLE_COLUMNS = [Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER, Role.MEDICAL_DIRECTOR, Role.ADMIN]
CELLS = {"yes", "no", "own locations", "all"}


def matrix_rows() -> dict[str, list[str]]:
    text = SECURITY_MD.read_text(encoding="utf-8")
    section = text.split("<!-- matrix:start -->")[1].split("<!-- matrix:end -->")[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\|\s*`([a-z_]+\.[a-z_]+)`\s*\|(.+)\|\s*$", line)
        if match:
            cells = [cell.strip() for cell in match.group(2).split("|")][: len(ROLE_COLUMNS)]
            rows[match.group(1)] = cells
    return rows


def project_permissions() -> set[str]:
    return {
        name
        for name in rules.permissions.permissions
        if name.split(".")[0]
        in {
            "inquiries",
            "notifications",
            "audit",
            "accounts",
            "booking",
            "patients",
            "screening",
            "measures",
            "treatment",
            "sessions",
            "inventory",
            "safety",
            "outcomes",
            "interop",
        }
    }


def test_every_permission_in_code_is_in_the_matrix_and_back():
    assert set(matrix_rows()) == project_permissions()


def test_matrix_cells_use_the_documented_words():
    for permission, cells in matrix_rows().items():
        assert len(cells) == len(ROLE_COLUMNS), permission
        assert set(cells) <= CELLS, permission


class Located:
    """Any record with a location: what the object-level predicates look at."""

    def __init__(self, location):
        self.location_id = location.pk
        self.location = location


@pytest.mark.django_db
@pytest.mark.parametrize("permission", sorted(matrix_rows()))
def test_code_enforces_the_matrix(permission, riverside, hillcrest):
    for role, cell in zip(ROLE_COLUMNS, matrix_rows()[permission], strict=True):
        user = UserFactory(role=role, locations=[riverside])
        here, there = Located(riverside), Located(hillcrest)
        expected = {
            "yes": (True, True, True),
            "no": (False, False, False),
            "own locations": (True, True, False),
            "all": (True, True, True),
        }[cell]
        actual = (
            user.has_perm(permission),
            user.has_perm(permission, here),
            user.has_perm(permission, there),
        )
        assert actual == expected, f"{permission} for {role}: matrix says {cell!r}"

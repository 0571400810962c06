"""The rows this app adds to docs/security.md's permission matrix, checked the way
tests/security/test_permission_matrix.py checks them (Riverside user of each role,
no record / a Riverside record / a Hillcrest record)."""

import re

import pytest
import rules

from tests.factories import UserFactory
from tests.security.test_permission_matrix import CELLS, ROLE_COLUMNS, Located

MATRIX_ROWS = """
| `patients.view_patient_list` | yes | yes | yes | yes | yes |
| `patients.view_patient` | own locations | own locations | own locations | all | all |
| `patients.view_attachment` | own locations | own locations | own locations | all | all |
| `patients.create_patient` | own locations | no | no | all | all |
| `patients.convert_inquiry` | own locations | no | no | all | all |
| `patients.edit_demographics` | own locations | own locations | own locations | all | all |
| `patients.edit_clinical` | no | own locations | own locations | all | no |
"""


def rows() -> dict[str, list[str]]:
    parsed = {}
    for line in MATRIX_ROWS.strip().splitlines():
        match = re.match(r"\|\s*`([a-z_]+\.[a-z_]+)`\s*\|(.+)\|\s*$", line)
        parsed[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return parsed


def test_the_rows_name_every_patients_permission():
    registered = {name for name in rules.permissions.permissions if name.startswith("patients.")}
    assert set(rows()) == registered
    for cells in rows().values():
        assert len(cells) == len(ROLE_COLUMNS)
        assert set(cells) <= CELLS


@pytest.mark.django_db
@pytest.mark.parametrize("permission", sorted(rows()))
def test_code_enforces_the_rows(permission, riverside, hillcrest):
    for role, cell in zip(ROLE_COLUMNS, rows()[permission], strict=True):
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
        assert actual == expected, f"{permission} for {role}: rows say {cell!r}"

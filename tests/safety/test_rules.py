"""The safety permissions, as the rows proposed for docs/security.md's matrix
(checked the way tests/security/test_permission_matrix.py checks them)."""

import pytest

from tests.factories import UserFactory
from tests.security.test_permission_matrix import ROLE_COLUMNS, Located

# front desk | nurse | prescriber | medical director | admin
ROWS = {
    "safety.view_alerts": ["no", "own locations", "own locations", "all", "no"],
    "safety.acknowledge_alert": ["no", "own locations", "own locations", "all", "no"],
    "safety.close_alert": ["no", "own locations", "own locations", "all", "no"],
    "safety.manage_oncall": ["no", "no", "no", "yes", "no"],
    "safety.edit_safety_plan": ["no", "own locations", "own locations", "all", "no"],
}
EXPECTED = {
    "yes": (True, True, True),
    "no": (False, False, False),
    "own locations": (True, True, False),
    "all": (True, True, True),
}


def test_rows_cover_every_safety_permission():
    import rules

    assert set(ROWS) == {n for n in rules.permissions.permissions if n.startswith("safety.")}


@pytest.mark.django_db
@pytest.mark.parametrize("permission", sorted(ROWS))
def test_rules_match_the_rows(permission, riverside, hillcrest):
    for role, cell in zip(ROLE_COLUMNS, ROWS[permission], strict=True):
        user = UserFactory(role=role, locations=[riverside])
        actual = (
            user.has_perm(permission),
            user.has_perm(permission, Located(riverside)),
            user.has_perm(permission, Located(hillcrest)),
        )
        assert actual == EXPECTED[cell], f"{permission} for {role}"

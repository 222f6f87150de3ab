"""Role × action permissions."""

from __future__ import annotations

import itertools

import pytest

from hallops.core.roles import ROLE_ACTIONS, Action, Role, role_allows, roles_allow

# Written out by hand (columns in this order) so that a change to the table is caught.
COLUMNS = [
    "hall.view",
    "ticket.issue",
    "ticket.issue_override",
    "ticket.view",
    "ticket.cancel",
    "preorder.edit",
    "preorder.view",
    "counter.operate",
    "counter.manage",
    "customer.view_pii",
    "audit.view",
    "catalog.manage",
    "staff.manage",
    "hall.day_end",
    "hall.settings",
    "device.manage",
    "rating.submit",
    "alert.manage",
    "dashboard.view",
    "planning.manage",
]
EXPECTED = {
    #              hv  ti  tio tv  tc  pe  pv  co  cm  pii av  cat stf de  hs  dm  rs  am  dv  pm
    "greeter":     [1,  1,  1,  1,  1,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0],
    "preaccept":   [1,  0,  0,  1,  0,  1,  1,  0,  0,  1,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0],
    "selfservice": [1,  1,  0,  1,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0],
    "agent":       [1,  1,  1,  1,  1,  1,  1,  1,  0,  1,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0],
    "manager":     [1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  0,  0,  1,  1,  1,  0,  1,  1,  1],
    "dispatcher":  [1,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0],
    "technician":  [1,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0],
    "backoffice":  [1,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0],
    "auditor":     [1,  0,  0,  1,  0,  0,  0,  0,  0,  1,  1,  0,  0,  0,  0,  0,  0,  0,  1,  0],
    "admin":       [1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1],
    "kiosk":       [1,  1,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0],
    "display":     [1,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0],
    "rating_pad":  [1,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  1,  0,  0,  0],
}  # fmt: skip


def test_expected_table_covers_all_roles_and_actions() -> None:
    """The expected table names exactly the defined roles and actions."""
    assert set(EXPECTED) == {r.value for r in Role}
    assert [a.value for a in Action] == COLUMNS
    assert set(ROLE_ACTIONS) == set(Role)


@pytest.mark.parametrize(("role", "action"), list(itertools.product(Role, Action)))
def test_matrix(role: Role, action: Action) -> None:
    """Each role × action cell matches the hand-written table."""
    expected = bool(EXPECTED[role.value][COLUMNS.index(action.value)])
    assert role_allows(role, action) is expected


@pytest.mark.parametrize("role", [None, "root", "", 42])
def test_unknown_role_denied(role: object) -> None:
    """An unknown or missing role is denied every action."""
    assert not any(role_allows(role, a) for a in Action)  # type: ignore[arg-type]


def test_unknown_action_denied() -> None:
    """An unknown action is denied even to admin."""
    assert not role_allows(Role.ADMIN, "hall.destroy")  # type: ignore[arg-type]


def test_roles_allow_any() -> None:
    """Several roles allow what any of them allows, and nothing more."""
    assert roles_allow([Role.KIOSK, Role.AUDITOR], Action.AUDIT_VIEW)
    assert not roles_allow([Role.KIOSK, Role.AUDITOR], Action.COUNTER_OPERATE)
    assert not roles_allow([], Action.HALL_VIEW)


def test_table_is_read_only() -> None:
    """The role table cannot be modified at run time."""
    with pytest.raises(TypeError):
        ROLE_ACTIONS[Role.KIOSK] = frozenset(Action)  # type: ignore[index]

"""docs/roles.md shows exactly ROLE_ACTIONS."""

from __future__ import annotations

from pathlib import Path

from hallops.core.roles import ROLE_ACTIONS, Action, Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"

CHINESE = {
    Role.GREETER: "引导员",
    Role.PREACCEPT: "预受理员",
    Role.SELFSERVICE: "自助协管员",
    Role.AGENT: "营业员",
    Role.MANAGER: "厅经理",
    Role.DISPATCHER: "调度员",
    Role.TECHNICIAN: "装维人员",
    Role.BACKOFFICE: "后台",
    Role.AUDITOR: "审计员",
    Role.ADMIN: "管理员",
    Role.KIOSK: "取号机",
    Role.DISPLAY: "显示屏",
    Role.RATING_PAD: "评价器",
}


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parse_table() -> tuple[dict[Role, frozenset[Action]], dict[Role, str]]:
    """The role × action table: the markdown table whose header names actions."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|") and "`hall.view`" in line and "角色" in line)
    header = cells(lines[start])
    actions = [Action(h.strip("`")) for h in header[2:]]
    table: dict[Role, frozenset[Action]] = {}
    names: dict[Role, str] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        row = cells(line)
        role = Role(row[0].split("`")[1])
        assert role not in table, f"duplicate row {role}"
        assert len(row) == len(header), f"row {role} has {len(row)} cells"
        assert set(row[2:]) <= {"✓", ""}, f"row {role} has marks other than ✓"
        table[role] = frozenset(a for a, mark in zip(actions, row[2:], strict=True) if mark == "✓")
        names[role] = row[1]
    return table, names


def test_doc_table_equals_role_actions() -> None:
    """Every ✓ in docs/roles.md is granted in ROLE_ACTIONS and vice versa, for every role."""
    table, _ = parse_table()
    assert table == dict(ROLE_ACTIONS)


def test_doc_lists_every_action_column() -> None:
    """The doc's table has one column per action."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("|") and "`hall.view`" in line and "角色" in line)
    assert sorted(h.strip("`") for h in cells(header)[2:]) == sorted(a.value for a in Action)


def test_doc_chinese_role_names() -> None:
    """Each role row carries its Chinese name."""
    _, names = parse_table()
    assert names == CHINESE


def test_doc_states_the_rules() -> None:
    """The doc states deny-by-default, admin everywhere and the 404 hall scoping."""
    text = DOC.read_text(encoding="utf-8")
    assert "Deny by default" in text
    assert "every action in every hall" in text
    assert "404" in text

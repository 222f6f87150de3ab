"""Role x action permissions, deny by default.

A role grants only the actions listed for it in :data:`ROLE_ACTIONS`; anything not
listed, and any unknown role, is denied.  Administrators may do every action in
every hall; other staff hold roles per hall, and the Django layer scopes them to the
halls where they hold the role.  docs/roles.md is checked against this table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    GREETER = "greeter"  # 引导员
    PREACCEPT = "preaccept"  # 预受理员
    SELFSERVICE = "selfservice"  # 自助协管员
    AGENT = "agent"  # 营业员
    MANAGER = "manager"  # 厅经理
    DISPATCHER = "dispatcher"  # 调度员
    TECHNICIAN = "technician"  # 装维人员
    BACKOFFICE = "backoffice"  # 后台
    AUDITOR = "auditor"  # 审计员
    ADMIN = "admin"  # 管理员
    KIOSK = "kiosk"  # 取号机 (device login)
    DISPLAY = "display"  # 显示屏 (device login)
    RATING_PAD = "rating_pad"  # 评价器 (device login)


class Action(StrEnum):
    HALL_VIEW = "hall.view"  # see hall, services, counters, queue
    TICKET_ISSUE = "ticket.issue"
    TICKET_ISSUE_OVERRIDE = "ticket.issue_override"  # issue a forced-self-service type, with a reason
    TICKET_VIEW = "ticket.view"
    TICKET_CANCEL = "ticket.cancel"
    PREORDER_EDIT = "preorder.edit"
    PREORDER_VIEW = "preorder.view"
    COUNTER_OPERATE = "counter.operate"  # open/pause/close/call/serve at a counter
    COUNTER_MANAGE = "counter.manage"  # force-close another agent's counter session
    CUSTOMER_VIEW_PII = "customer.view_pii"  # see unmasked phone/ID
    AUDIT_VIEW = "audit.view"
    CATALOG_MANAGE = "catalog.manage"
    STAFF_MANAGE = "staff.manage"
    HALL_DAY_END = "hall.day_end"
    HALL_SETTINGS = "hall.settings"  # the hall's own settings: display phrases, booking slots, upselling threshold
    DEVICE_MANAGE = "device.manage"  # pair and revoke the hall's kiosks, displays and rating pads
    RATING_SUBMIT = "rating.submit"  # a customer's rating of a finished transaction, on the counter's pad
    ALERT_MANAGE = "alert.manage"  # acknowledge and resolve any of the hall's alerts (agents: their own counter's)
    DASHBOARD_VIEW = "dashboard.view"  # the manager dashboard, drill-down, pilot comparison and reports
    PLANNING_MANAGE = "planning.manage"  # the hall's forecast and staffing plans, re-plan, what-if simulations


_A = Action

_GREETER = frozenset({_A.HALL_VIEW, _A.TICKET_ISSUE, _A.TICKET_ISSUE_OVERRIDE, _A.TICKET_VIEW, _A.TICKET_CANCEL})
_AGENT = frozenset(
    {
        _A.HALL_VIEW,
        _A.TICKET_VIEW,
        _A.TICKET_ISSUE,
        _A.TICKET_ISSUE_OVERRIDE,
        _A.TICKET_CANCEL,
        _A.PREORDER_VIEW,
        _A.PREORDER_EDIT,
        _A.COUNTER_OPERATE,
        _A.CUSTOMER_VIEW_PII,
    }
)
_HALL_ONLY = frozenset({_A.HALL_VIEW})

ROLE_ACTIONS: Mapping[Role, frozenset[Action]] = MappingProxyType(
    {
        Role.GREETER: _GREETER,
        Role.PREACCEPT: frozenset(
            {_A.HALL_VIEW, _A.TICKET_VIEW, _A.PREORDER_EDIT, _A.PREORDER_VIEW, _A.CUSTOMER_VIEW_PII}
        ),
        Role.SELFSERVICE: frozenset({_A.HALL_VIEW, _A.TICKET_ISSUE, _A.TICKET_VIEW}),
        Role.AGENT: _AGENT,
        Role.MANAGER: _AGENT
        | _GREETER
        | {_A.COUNTER_MANAGE, _A.HALL_DAY_END, _A.AUDIT_VIEW, _A.HALL_SETTINGS, _A.DEVICE_MANAGE, _A.ALERT_MANAGE}
        | {_A.DASHBOARD_VIEW, _A.PLANNING_MANAGE},
        Role.DISPATCHER: _HALL_ONLY,
        Role.TECHNICIAN: _HALL_ONLY,
        Role.BACKOFFICE: _HALL_ONLY,
        Role.AUDITOR: frozenset({_A.HALL_VIEW, _A.TICKET_VIEW, _A.AUDIT_VIEW, _A.CUSTOMER_VIEW_PII, _A.DASHBOARD_VIEW}),
        Role.ADMIN: frozenset(Action),
        Role.KIOSK: frozenset({_A.HALL_VIEW, _A.TICKET_ISSUE}),
        Role.DISPLAY: _HALL_ONLY,
        Role.RATING_PAD: frozenset({_A.HALL_VIEW, _A.RATING_SUBMIT}),
    }
)

_NOTHING: frozenset[Action] = frozenset()


def role_allows(role: Role, action: Action) -> bool:
    """True if ``role`` grants ``action``; unknown roles and actions are denied."""
    try:
        return action in ROLE_ACTIONS.get(role, _NOTHING)
    except TypeError:  # unhashable junk is no role or action
        return False


def roles_allow(roles: Iterable[Role], action: Action) -> bool:
    """True if any of ``roles`` grants ``action``."""
    return any(role_allows(role, action) for role in roles)

"""Who may do what where: the caller's roles per hall, checked against the core role table.

Staff see only the halls where they hold a role; another hall's objects answer 404 (not 403), so that ids
do not reveal what exists. Within a visible hall, an action the caller's roles lack answers 403.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser

from hallops.core.roles import Action, Role, roles_allow
from hallops.errors import Forbidden, NotFound
from hallops.organisation.models import Hall, StaffRole


@dataclass(frozen=True)
class Actor:
    """The authenticated caller of a service: a user, its roles by hall, and the live session it acts from."""

    user: AbstractBaseUser
    session_ref: str
    token_hall_id: int | None = None
    roles_by_hall: dict[int, frozenset[Role]] = field(default_factory=dict)
    global_roles: frozenset[Role] = frozenset()

    @property
    def user_id(self) -> int:
        return int(self.user.pk)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.global_roles or bool(getattr(self.user, "is_superuser", False))

    def roles_in(self, hall_id: int) -> frozenset[Role]:
        if self.token_hall_id is not None and hall_id != self.token_hall_id:
            return frozenset()
        roles = self.roles_by_hall.get(hall_id, frozenset()) | self.global_roles
        if self.is_admin:
            roles |= {Role.ADMIN}
        return roles

    def can_see(self, hall_id: int) -> bool:
        return bool(self.roles_in(hall_id))

    def can(self, hall_id: int, action: Action) -> bool:
        return roles_allow(self.roles_in(hall_id), action)


def actor_for_user(user: AbstractBaseUser, *, session_ref: str, token_hall_id: int | None = None) -> Actor:
    by_hall: dict[int, set[Role]] = defaultdict(set)
    global_roles: set[Role] = set()
    for hall_id, role in StaffRole.objects.filter(user=user).values_list("hall_id", "role"):
        if hall_id is None:
            global_roles.add(Role(role))
        else:
            by_hall[hall_id].add(Role(role))
    if getattr(user, "is_superuser", False):
        global_roles.add(Role.ADMIN)
    return Actor(
        user=user,
        session_ref=session_ref,
        token_hall_id=token_hall_id,
        roles_by_hall={k: frozenset(v) for k, v in by_hall.items()},
        global_roles=frozenset(global_roles),
    )


def require(actor: Actor, hall_id: int, action: Action, *, what: str = "hall") -> None:
    """404 when the hall is not the caller's, 403 when the caller's roles there lack the action."""
    if not actor.can_see(hall_id):
        raise NotFound(f"{what} not found", field=what)
    if not actor.can(hall_id, action):
        raise Forbidden(f"your role may not do {action.value}", field=None, code="role_not_allowed")


def hall_for(actor: Actor, code: str, action: Action = Action.HALL_VIEW) -> Hall:
    hall = Hall.objects.filter(code=code).first() if "\x00" not in code else None  # PostgreSQL rejects NUL
    if hall is None:
        raise NotFound("hall not found", field="hall")
    require(actor, hall.pk, action)
    return hall


def visible_halls(actor: Actor) -> list[Hall]:
    qs = Hall.objects.order_by("code")
    everywhere = actor.is_admin or bool(actor.global_roles)
    halls = list(qs) if everywhere else list(qs.filter(pk__in=list(actor.roles_by_hall)))
    if actor.token_hall_id is not None:
        halls = [h for h in halls if h.pk == actor.token_hall_id]
    return halls

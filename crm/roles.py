"""Roles are Django groups: Agents and Supervisors. Staff users (and superusers) are admins."""

from django.contrib.auth.models import AnonymousUser, Group

from crm.models import User

AGENTS = "Agents"
SUPERVISORS = "Supervisors"
ROLE_GROUPS = (AGENTS, SUPERVISORS)


def is_admin(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and (user.is_staff or user.is_superuser)


def sees_all_logs(user: User | AnonymousUser) -> bool:
    """Supervisors and admins see every agent's calls, messages and recordings; agents only
    their own."""
    return is_supervisor(user) or is_admin(user)


def may_change_owner(user: User | AnonymousUser) -> bool:
    """Agents share one contact book and may edit any contact; giving a contact to another owner
    is a supervisor's (or an admin's) act."""
    return is_supervisor(user) or is_admin(user)


def is_supervisor(user: User | AnonymousUser) -> bool:
    """A member of the Supervisors group."""
    if not user.is_authenticated:
        return False
    cached = getattr(user, "_is_supervisor_cache", None)
    if cached is None:
        cached = user.groups.filter(name=SUPERVISORS).exists()
        user._is_supervisor_cache = cached
    return cached


def role_group(name: str) -> Group:
    """The group for a role. The data migration creates them; get_or_create keeps a database
    that was flushed (tests, a restored dump) working."""
    group, _ = Group.objects.get_or_create(name=name)
    return group


def assign_role(user: User, name: str) -> None:
    if name not in ROLE_GROUPS:
        raise ValueError(f"unknown role {name!r}")
    user.groups.add(role_group(name))
    if hasattr(user, "_is_supervisor_cache"):
        del user._is_supervisor_cache


def set_role(user: User, name: str | None) -> None:
    """Make `name` the user's only role group (None: no role group, e.g. an admin)."""
    if name is not None and name not in ROLE_GROUPS:
        raise ValueError(f"unknown role {name!r}")
    user.groups.remove(*(role_group(other) for other in ROLE_GROUPS if other != name))
    if name is not None:
        assign_role(user, name)
    elif hasattr(user, "_is_supervisor_cache"):
        del user._is_supervisor_cache

"""Who acts. Passed explicitly to every service; never read from a request or a global."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pmloop.accounts.models import User

VIA_CHOICES = ("web", "api", "cli", "automation", "import", "system")


@dataclass
class Actor:
    user: User | None
    via: str = "web"
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    # A read-only API token: every write action is refused, whatever the user's roles.
    read_only: bool = False
    # The system itself (demo seeding, scheduled jobs, migrations): acts as a site admin.
    system: bool = False
    # Per-actor memo (visible product ids, roles); an Actor lives for one request or command.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_authenticated(self) -> bool:
        if self.system:
            return True
        return self.user is not None and self.user.is_authenticated and self.user.is_active

    @property
    def is_admin(self) -> bool:
        if self.system:
            return True
        return self.is_authenticated and bool(self.user.is_superuser)  # type: ignore[union-attr]

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None and self.user.is_authenticated else None

    @property
    def label(self) -> str:
        if self.user is None or not self.user.is_authenticated:
            return "system" if self.system else "anonymous"
        return self.user.get_username()


def system_actor(via: str = "system") -> Actor:
    """The system itself (demo seeding, scheduled jobs). Acts as a site admin."""
    return Actor(user=None, via=via, system=True)

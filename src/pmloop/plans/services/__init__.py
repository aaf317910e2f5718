"""Every state change of plans and releases. Split by concern; import from here."""

from pmloop.plans.services.plans import (
    add_milestone,
    add_to_plan,
    confirm_plan_change,
    create_plan,
    delete_milestone,
    delete_plan,
    flag_unconfirmed_change,
    move_plan_item,
    remove_from_plan,
    update_milestone,
    update_plan,
)
from pmloop.plans.services.releases import (
    add_to_release,
    create_release,
    delete_release,
    publish_release,
    remove_from_release,
    update_release,
)

__all__ = [
    "add_milestone", "add_to_plan", "add_to_release", "confirm_plan_change", "create_plan", "create_release",
    "delete_milestone", "delete_plan", "delete_release", "flag_unconfirmed_change", "move_plan_item",
    "publish_release", "remove_from_plan", "remove_from_release", "update_milestone", "update_plan",
    "update_release",
]  # fmt: skip

"""Every state change of a requirement. Split by concern; import from here."""

from pmloop.requirements.services.authoring import (
    add_attachment,
    create_from_pool_item,
    create_requirement,
    link_pool_items,
    link_requirements,
    remove_attachment,
    unlink_pool_item,
    unlink_requirements,
    update_requirement,
    update_settings,
)
from pmloop.requirements.services.delivery import (
    close_requirement,
    reopen_requirement,
    set_criterion_verified,
    set_stage,
)
from pmloop.requirements.services.review import (
    confirm_change,
    record_review_verdict,
    request_change,
    submit_change,
    submit_for_review,
    withdraw_change,
    withdraw_from_review,
)

__all__ = [
    "add_attachment", "close_requirement", "confirm_change", "create_from_pool_item", "create_requirement",
    "link_pool_items", "link_requirements", "record_review_verdict", "remove_attachment", "reopen_requirement",
    "request_change", "set_criterion_verified", "set_stage", "submit_change", "submit_for_review",
    "unlink_pool_item", "unlink_requirements", "update_requirement", "update_settings", "withdraw_change",
    "withdraw_from_review",
]  # fmt: skip

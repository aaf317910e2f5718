from pmloop.accounts.permissions import ALL_ROLES, define
from pmloop.accounts.roles import MANAGERS

VIEW = define("plans.view", ALL_ROLES, write=False)
EDIT = define("plans.edit", MANAGERS)  # plans, milestones, what is in a plan
EDIT_RELEASE = define("plans.edit_release", MANAGERS)  # releases and what they ship
PUBLISH = define("plans.publish_release", MANAGERS)

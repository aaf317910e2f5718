from pmloop.accounts.permissions import ALL_ROLES, define
from pmloop.accounts.roles import Role

_MANAGERS = {Role.OWNER, Role.PM}
# Who may be asked to review, and who may verify acceptance criteria (testers hold "developer").
REVIEWER_ROLES = frozenset({Role.OWNER, Role.PM, Role.REVIEWER, Role.DEVELOPER})

VIEW = define("requirements.view", ALL_ROLES, write=False)
CREATE = define("requirements.create", _MANAGERS)
EDIT = define("requirements.edit", _MANAGERS)
SUBMIT = define("requirements.submit", _MANAGERS)
REVIEW = define("requirements.review", REVIEWER_ROLES)
CHANGE = define("requirements.change", _MANAGERS)
CLOSE = define("requirements.close", _MANAGERS)
SET_STAGE = define("requirements.set_stage", {Role.OWNER, Role.PM, Role.DEVELOPER})
VERIFY = define("requirements.verify", REVIEWER_ROLES)
ATTACH = define("requirements.attach", REVIEWER_ROLES)
CONFIRM_CHANGE = define("requirements.confirm_change", REVIEWER_ROLES)
SETTINGS = define("requirements.settings", {Role.OWNER})

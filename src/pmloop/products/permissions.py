from pmloop.accounts.permissions import ALL_ROLES, define
from pmloop.accounts.roles import MANAGERS, Role

VIEW = define("products.view", ALL_ROLES, write=False)
EDIT = define("products.edit", MANAGERS)
ARCHIVE = define("products.archive", {Role.OWNER})
EDIT_MODULES = define("products.edit_modules", MANAGERS)

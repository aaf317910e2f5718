from pmloop.accounts.permissions import ALL_ROLES, define
from pmloop.accounts.roles import Role

VIEW = define("customers.view", ALL_ROLES, write=False)
EDIT = define("customers.edit", {Role.OWNER, Role.PM, Role.SALES, Role.SUPPORT})

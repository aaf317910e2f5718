from pmloop.accounts.permissions import ALL_ROLES, define

VIEW = define("audit.view", ALL_ROLES, write=False)

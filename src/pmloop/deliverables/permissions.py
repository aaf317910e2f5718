from pmloop.accounts.permissions import ALL_ROLES, define
from pmloop.accounts.roles import MANAGERS, Role

VIEW = define("deliverables.view", ALL_ROLES, write=False)
EDIT = define("deliverables.edit", MANAGERS)  # open a kit, checklist items and their owners
# Signing off an item: its owner, whatever their role (a tester holds "developer").
SIGN_OFF = define("deliverables.sign_off", ALL_ROLES - {Role.VIEWER})
# Training sessions and attendance: managers, and support and sales who run customer training.
TRAINING = define("deliverables.training", MANAGERS | {Role.SUPPORT, Role.SALES})

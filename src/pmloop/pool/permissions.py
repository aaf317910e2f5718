from pmloop.accounts.permissions import ALL_ROLES, define
from pmloop.accounts.roles import MANAGERS, Role

VIEW = define("pool.view", ALL_ROLES, write=False)
# Any member may file feedback, except a viewer.
CREATE = define("pool.create", ALL_ROLES - {Role.VIEWER})
# Edit any item's text and fields. A reporter may also edit their own item while it is new.
EDIT = define("pool.edit", MANAGERS)
# triage, decline, merge, reopen, and the bulk forms of these
TRIAGE = define("pool.triage", MANAGERS)
# mark items linked to / unlinked from a requirement (called by the requirements app)
LINK = define("pool.link", MANAGERS)
# add, relabel and deactivate sources: site admins only
MANAGE_SOURCES = define("pool.manage_sources", set())

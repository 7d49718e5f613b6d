"""The roles of seed §4 and §7 (R-ROLE-1..6) and what each may see by default."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer user")
    AGENT = "agent", _("Service desk agent")
    ENGINEER = "engineer", _("Service engineer (line 1)")
    EXPERT2 = "expert2", _("Engineering expert (line 2)")
    EXPERT3 = "expert3", _("Product expert (line 3)")
    TASKFORCE = "taskforce", _("Task force member")
    OPS = "ops", _("Operations specialist")
    MANAGER = "manager", _("Service manager")
    SUPERVISOR = "supervisor", _("Regional service supervisor")
    HQ = "hq", _("HQ technical service")
    ADMIN = "admin", _("Administrator")


#: Vendor roles that work on every customer's projects: the service desk takes
#: calls for anyone, operations watch every ticket (seed §7.3), HQ supervises all.
ALL_PROJECT_ROLES = frozenset({Role.AGENT, Role.OPS, Role.HQ, Role.ADMIN})

#: Roles that belong to the vendor's staff (everyone but the customer).
VENDOR_ROLES = frozenset(set(Role) - {Role.CUSTOMER})

#: Expert roles and the escalation tier they serve (seed §7: line 2, 3, task force).
EXPERT_TIERS = {Role.EXPERT2: 2, Role.EXPERT3: 3, Role.TASKFORCE: 4}

"""The default notification rules (seed §7.2.1, §7.2.4) as editable rows."""

from django.db import migrations

RULES = {
    "register": [
        "registered",
        [
            "line1"
        ]
    ],
    "accept": [
        "accepted",
        [
            "reporter",
            "followers",
            "handlers"
        ]
    ],
    "change_commitment": [
        "commitment",
        [
            "reporter",
            "followers",
            "handlers"
        ]
    ],
    "record": [
        "record",
        [
            "reporter",
            "followers",
            "handlers"
        ]
    ],
    "escalate": [
        "escalated",
        [
            "reporter",
            "followers",
            "handlers",
            "current_tier"
        ]
    ],
    "assign": [
        "accepted",
        [
            "current_tier"
        ]
    ],
    "ask_info": [
        "info",
        [
            "reporter",
            "followers"
        ]
    ],
    "answer_info": [
        "info",
        [
            "handlers"
        ]
    ],
    "request_close": [
        "closure_requested",
        [
            "reporter",
            "followers",
            "handlers"
        ]
    ],
    "reject_close": [
        "closure_rejected",
        [
            "reporter",
            "followers",
            "handlers",
            "operations"
        ]
    ],
    "close": [
        "closed",
        [
            "reporter",
            "followers",
            "handlers"
        ]
    ],
    "urge": [
        "urged",
        [
            "handlers",
            "operations"
        ]
    ],
    "sla_warning": [
        "sla_warning",
        [
            "current_tier",
            "operations"
        ]
    ],
    "sla_breached": [
        "sla_breached",
        [
            "current_tier",
            "operations",
            "service_manager_if_serious",
            "customer_service_if_serious"
        ]
    ],
    "dispatch_required": [
        "dispatch",
        [
            "current_tier",
            "operations",
            "customer_service"
        ]
    ]
}


def create(apps, schema_editor):
    Rule = apps.get_model("notify", "Rule")
    for action, (kind, audiences) in RULES.items():
        Rule.objects.get_or_create(action=action, defaults={"kind": kind, "audiences": audiences})


class Migration(migrations.Migration):
    dependencies = [("notify", "0003_rule_follower")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

from django.contrib import admin

from campusdesk.reports.models import ScoringScheme


@admin.register(ScoringScheme)
class ScoringSchemeAdmin(admin.ModelAdmin[ScoringScheme]):
    """The weights of the performance scores (绩效评分) per period; see ``reports.scores``."""

    list_display = [
        "__str__",
        "acceptance",
        "commitment",
        "rating",
        "rejection_rate",
        "urges",
        "complaints",
        "retrospectives",
    ]

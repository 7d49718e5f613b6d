from django.apps import AppConfig


class SiteConfig(AppConfig):
    """An app only so that ``campusdesk demo`` is found; it has no models."""

    name = "campusdesk.site"
    label = "site"

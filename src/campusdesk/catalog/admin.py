from django.contrib import admin

from campusdesk.catalog.models import Product, ProductExpert, Project
from campusdesk.core.text import ONE_LINE_FIELDS


class ProductExpertInline(admin.TabularInline[ProductExpert, Product]):
    model = ProductExpert
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    formfield_overrides = ONE_LINE_FIELDS  # names go into e-mail subjects and headers
    list_display = ["name", "code", "is_active"]
    search_fields = ["name", "code"]
    inlines = [ProductExpertInline]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin[Project]):
    formfield_overrides = ONE_LINE_FIELDS
    list_display = [
        "name",
        "organisation",
        "product",
        "service_start",
        "service_end",
        "service_manager",
        "is_active",
    ]
    list_filter = ["product", "is_active"]
    search_fields = ["name", "organisation__name"]
    list_select_related = ["organisation", "product", "service_manager"]
    autocomplete_fields = ["organisation", "service_manager"]
    filter_horizontal = ["line1_team"]

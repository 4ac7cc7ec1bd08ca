from django.contrib import admin

from plans.models import AccountPlan, BusinessUnit, PlanChange, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "series", "list_price", "currency"]
    list_filter = ["series", "currency"]
    search_fields = ["name", "series"]


@admin.register(AccountPlan)
class AccountPlanAdmin(admin.ModelAdmin):
    list_display = ["title", "account", "status", "period_start", "period_end", "last_reviewed_at"]
    list_filter = ["status"]
    search_fields = ["title", "account__name"]
    raw_id_fields = ["account", "reviewed_by", "created_by"]
    readonly_fields = ["version", "created_at", "updated_at"]


@admin.register(BusinessUnit)
class BusinessUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "account"]
    search_fields = ["name", "account__name"]
    raw_id_fields = ["account"]


@admin.register(PlanChange)
class PlanChangeAdmin(admin.ModelAdmin):
    list_display = ["plan", "changed_at", "user", "verb", "entity", "label"]
    list_filter = ["entity", "verb"]
    raw_id_fields = ["plan", "user"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # history is append-only

"""The catalogue is edited here, through plans.services (audit trail). Plans, business units
and plan history are read-only: they change in the app, whose services keep versions, history
and the one-active-plan rule."""

from django.contrib import admin

from plans import services
from plans.models import AccountPlan, BusinessUnit, PlanChange, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "series", "list_price", "currency"]
    list_filter = ["series", "currency"]
    search_fields = ["name", "series"]
    fields = list(services.PRODUCT_FIELDS)

    def save_model(self, request, obj, form, change) -> None:
        values = {name: form.cleaned_data[name] for name in services.PRODUCT_FIELDS}
        if change:
            saved = services.product_update(
                product=Product.objects.get(pk=obj.pk), actor=request.user, **values
            )
        else:
            saved = services.product_create(actor=request.user, **values)
        obj.pk = saved.pk

    def delete_model(self, request, obj) -> None:
        services.product_delete(product=obj, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for product in queryset:
            services.product_delete(product=product, actor=request.user)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AccountPlan)
class AccountPlanAdmin(ReadOnlyAdmin):
    list_display = ["title", "account", "status", "period_start", "period_end", "last_reviewed_at"]
    list_filter = ["status"]
    search_fields = ["title", "account__name"]
    raw_id_fields = ["account", "reviewed_by", "created_by"]


@admin.register(BusinessUnit)
class BusinessUnitAdmin(ReadOnlyAdmin):
    list_display = ["name", "account"]
    search_fields = ["name", "account__name"]
    raw_id_fields = ["account"]


@admin.register(PlanChange)
class PlanChangeAdmin(ReadOnlyAdmin):
    """History is append-only: nobody adds, edits or deletes it here."""

    list_display = ["plan", "changed_at", "user", "verb", "entity", "label"]
    list_filter = ["entity", "verb"]
    raw_id_fields = ["plan", "user"]

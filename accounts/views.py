from django.shortcuts import render
from django.views.decorators.http import require_GET

from kam.access import admin_required


@require_GET
def account_list(request):
    return render(request, "accounts/account_list.html")


@require_GET
def portfolio(request):
    return render(request, "accounts/portfolio.html")


@require_GET
@admin_required
def configuration(request):
    return render(request, "accounts/configuration.html")

from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def my_work(request):
    return render(request, "activities/my_work.html")

from django.urls import path

from activities import views

urlpatterns = [
    path("", views.my_work, name="my_work"),
]

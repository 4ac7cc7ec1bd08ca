from django.urls import path

from activities import views

urlpatterns = [
    path("", views.my_work_page, name="my_work"),
    path("log/", views.log_pick_account, name="log_pick_account"),
    path("accounts/<int:pk>/log/", views.interaction_create, name="interaction_create"),
    path("accounts/<int:pk>/commitments/", views.account_commitments, name="account_commitments"),
    path("commitments/<int:pk>/complete/", views.commitment_complete, name="commitment_complete"),
    path("commitments/<int:pk>/reopen/", views.commitment_reopen, name="commitment_reopen"),
    path("commitments/<int:pk>/cancel/", views.commitment_cancel, name="commitment_cancel"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
]

from django.urls import path

from activities import views

urlpatterns = [
    path("", views.my_work_page, name="my_work"),
    path("log/", views.log_pick_account, name="log_pick_account"),
    path("accounts/<int:pk>/log/", views.interaction_create, name="interaction_create"),
    path("accounts/<int:pk>/commitments/", views.account_commitments, name="account_commitments"),
    path("commitments/<int:pk>/complete/", views.commitment_complete, name="commitment_complete"),
    path("commitments/<int:pk>/reopen/", views.commitment_reopen, name="commitment_reopen"),
    path(
        "commitments/<int:pk>/cancel/",
        views.commitment_follow_up,
        {"mode": "cancel"},
        name="commitment_cancel",
    ),
    path(
        "commitments/<int:pk>/reschedule/",
        views.commitment_follow_up,
        {"mode": "reschedule"},
        name="commitment_reschedule",
    ),
    path(
        "commitments/<int:pk>/reassign/",
        views.commitment_follow_up,
        {"mode": "reassign"},
        name="commitment_reassign",
    ),
    path(
        "commitments/<int:pk>/edit/",
        views.commitment_follow_up,
        {"mode": "edit"},
        name="commitment_edit",
    ),
    path(
        "commitments/<int:pk>/history/",
        views.commitment_follow_up,
        {"mode": "history"},
        name="commitment_history",
    ),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path("accounts/<int:pk>/qbrs/", views.account_qbrs, name="account_qbrs"),
    path("qbrs/<int:pk>/", views.qbr_detail, name="qbr_detail"),
    path("qbrs/<int:pk>/cancel/", views.qbr_cancel, name="qbr_cancel"),
    path("calendar/", views.calendar_settings, name="calendar_settings"),
    path(
        "calendar/regenerate/",
        views.calendar_token_regenerate,
        name="calendar_token_regenerate",
    ),
    path("calendar/revoke/", views.calendar_token_revoke, name="calendar_token_revoke"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]

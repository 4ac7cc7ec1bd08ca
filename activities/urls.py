from django.urls import path

from activities import views

urlpatterns = [
    path("", views.my_work_page, name="my_work"),
    path("log/", views.log_pick_account, name="log_pick_account"),
    path("agreed-items/", views.agreed_item_create, name="agreed_item_create"),
    path("accounts/<int:pk>/log/", views.interaction_create, name="interaction_create"),
    path("interactions/<int:pk>/undo/", views.interaction_undo, name="interaction_undo"),
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
    path("accounts/<int:pk>/requests/", views.account_requests_page, name="account_requests"),
    path("requests/<int:pk>/respond/", views.request_respond, name="request_respond"),
    path("requests/<int:pk>/resolve/", views.request_resolve, name="request_resolve"),
    path("requests/<int:pk>/reopen/", views.request_reopen, name="request_reopen"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path("accounts/<int:pk>/qbrs/", views.account_qbrs, name="account_qbrs"),
    path("qbrs/<int:pk>/", views.qbr_detail, name="qbr_detail"),
    path("qbrs/<int:pk>/cancel/", views.qbr_cancel, name="qbr_cancel"),
    path(
        "accounts/<int:pk>/meetings/invite/",
        views.meeting_invite_upload,
        name="meeting_invite_upload",
    ),
    path("meetings/<int:pk>/dismiss/", views.meeting_dismiss, name="meeting_dismiss"),
    path("calendar/", views.calendar_settings, name="calendar_settings"),
    path(
        "calendar/regenerate/",
        views.calendar_token_regenerate,
        name="calendar_token_regenerate",
    ),
    path("calendar/revoke/", views.calendar_token_revoke, name="calendar_token_revoke"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]

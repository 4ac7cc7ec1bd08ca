from activities.models import Notification


def notifications(request):
    """Unread count for the bell in the navigation (one query, signed-in pages only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": Notification.objects.filter(
            user=user, read_at=None, resolved_at=None
        ).count()
    }

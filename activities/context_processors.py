from django.utils.functional import SimpleLazyObject

from activities.models import Notification


def notifications(request):
    """Unread count for the bell in the navigation (signed-in pages only): one query, run when
    a template draws the bell. A fragment drawn for htmx (a quick log's confirmation, the
    messages added to a fragment, the form drawn again) has no bell and ran the count all the
    same, once per template it rendered."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(user=user, read_at=None, resolved_at=None).count()
        )
    }

"""Role checks for whole pages. What a user may see and do on accounts is decided in
accounts/selectors.py (`Access`, `accounts_for_user`, `account_permits`,
`get_account_for_user`), nowhere else."""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied

from kam.models import Role


def role_required(*roles: Role) -> Callable:
    """Allow the view to users with one of `roles`; others get the friendly 403 page."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


admin_required = role_required(Role.ADMIN)
leader_required = role_required(Role.LEADER, Role.ADMIN)

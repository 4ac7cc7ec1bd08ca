"""The plans app's answers to signals from the apps below it (imported by PlansConfig.ready)."""

from django.dispatch import receiver

from activities.services import agreed_item_changed
from plans.services import action_changed_record


@receiver(agreed_item_changed, dispatch_uid="plan_history_follows_its_actions")
def plan_history_follows_its_actions(sender, *, item, actor, verb, changes, **kwargs):
    """A plan action is an agreed item: rescheduled from My work, completed through the API or
    created by a playbook, the change still lands on its plan's history."""
    action_changed_record(item=item, actor=actor, verb=verb, changes=changes)

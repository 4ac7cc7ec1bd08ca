"""The quick log form pair (interaction + next-step rows), shared by the account pages and
the global "Log interaction" page."""

from django.core.exceptions import ValidationError

from activities.forms import NextSteps, QuickLogForm, owner_choices, resolve_owner
from activities.selectors import account_team
from activities.services import NextStep, interaction_log

PREFIX = "next_steps"


def quick_log_forms(*, account, user, stakeholders, data=None):
    active = [s for s in stakeholders if s.left_on is None]
    team = account_team(account)
    choices = owner_choices(account, team, active)
    default_owner = f"u{user.pk}" if any(u.pk == user.pk for u in team) else f"u{account.owner_id}"
    form = QuickLogForm(data, stakeholders=active, prefix="log")
    next_steps = NextSteps(
        data,
        prefix=PREFIX,
        form_kwargs={"owner_choices": choices, "default_owner": default_owner},
    )
    next_steps.team = team
    next_steps.stakeholder_rows = active
    return form, next_steps


def quick_log_save(*, account, user, form, next_steps):
    """Validate both forms, call the service; service errors land on the right field.
    Returns the interaction, or None when something is invalid (nothing is written)."""
    if not (form.is_valid() and next_steps.is_valid()):
        return None
    steps = []
    for row in next_steps.steps():
        owner_user, owner_stakeholder = resolve_owner(
            row["owner"], next_steps.team, next_steps.stakeholder_rows
        )
        steps.append(
            NextStep(
                title=row["title"],
                due_date=row["due_date"],
                owner_user=owner_user,
                owner_stakeholder=owner_stakeholder,
            )
        )
    data = form.cleaned_data
    try:
        return interaction_log(
            account=account,
            actor=user,
            kind=data["kind"],
            occurred_at=data["occurred_at"],
            summary=data["summary"],
            stakeholders=data["stakeholders"],
            notes=data["notes"],
            sentiment=data["sentiment"],
            category=data["category"],
            next_steps=steps,
        )
    except ValidationError as error:
        _errors_to_forms(error, form, next_steps)
        return None


def _errors_to_forms(error: ValidationError, form, next_steps) -> None:
    for field, messages in error.error_dict.items():
        if field.startswith(f"{PREFIX}-"):
            _prefix, index, name = field.split("-", 2)
            row = next_steps.steps_forms()[int(index)]
            row.add_error(name if name in row.fields else None, messages)
        elif field in form.fields:
            form.add_error(field, messages)
        else:
            form.add_error(None, messages)

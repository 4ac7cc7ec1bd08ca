"""The quick log form pair (interaction + next-step rows), shared by the account pages and
the global "Log interaction" page."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from activities.forms import NextSteps, QuickLogForm, owner_choices, resolve_owner
from activities.models import InteractionKind
from activities.selectors import account_team, open_requests_for_quick_log
from activities.services import NextStep, interaction_log, meeting_log

PREFIX = "next_steps"


def next_step_forms(*, account, user, active_stakeholders, data=None, team=None):
    """The next-step rows (quick log and QBR outcome): owners are our team or the client's
    active people; the default owner is the user when on the team, else the account owner.
    `team`: account_team(account) when the caller has it already."""
    if team is None:
        team = account_team(account)
    mine = any(member.pk == user.pk for member in team)
    next_steps = NextSteps(
        data,
        prefix=PREFIX,
        form_kwargs={
            "owner_choices": owner_choices(account, team, active_stakeholders),
            "default_owner": f"u{user.pk}" if mine else f"u{account.owner_id}",
        },
    )
    next_steps.team = team
    next_steps.stakeholder_rows = active_stakeholders
    return next_steps


def next_steps_cleaned(next_steps) -> list[NextStep]:
    """The filled rows of a valid next-step formset, as the services take them."""
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
    return steps


def quick_log_forms(
    *, account, user, stakeholders, data=None, meeting=None, team=None, open_requests=None
):
    """The form pair; with a planned `meeting` (My work's "Log it"), filled from it: a meeting
    at its start, with its attendees and its title as the summary. `team`: account_team(account)
    and `open_requests`: open_requests_for_quick_log(account), when the caller has them."""
    active = [s for s in stakeholders if s.left_on is None]
    initial = {}
    if meeting is not None:
        initial = {
            "kind": InteractionKind.MEETING,
            "occurred_at": timezone.localtime(meeting.starts_at).replace(second=0, microsecond=0),
            "stakeholders": [str(s.pk) for s in meeting.attendees.all()],
            "summary": meeting.title,
        }
    form = QuickLogForm(
        data,
        stakeholders=active,
        open_requests=(
            open_requests_for_quick_log(account) if open_requests is None else open_requests
        ),
        prefix="log",
        initial=initial,
    )
    next_steps = next_step_forms(
        account=account, user=user, active_stakeholders=active, data=data, team=team
    )
    return form, next_steps


def quick_log_save(*, account, user, form, next_steps, meeting=None):
    """Validate both forms, call the service; service errors land on the right field.
    Returns the interaction, or None when something is invalid (nothing is written). With a
    planned `meeting` of this account, the log is that meeting's (meeting_log)."""
    if not (form.is_valid() and next_steps.is_valid()):
        return None
    steps = next_steps_cleaned(next_steps)
    data = form.cleaned_data
    if meeting is not None:
        log, who = meeting_log, {"user": user, "meeting": meeting}
    else:
        log, who = interaction_log, {"account": account, "actor": user}
    try:
        return log(
            **who,
            kind=data["kind"],
            occurred_at=data["occurred_at"],
            summary=data["summary"],
            stakeholders=data["stakeholders"],
            notes=data["notes"],
            sentiment=data["sentiment"],
            category=data["category"],
            next_steps=steps,
            answers_request=data["answers_request"],
            resolves_request=data["resolves_request"],
        )
    except ValidationError as error:
        errors_to_forms(error, form, next_steps)
        return None


def errors_to_forms(error: ValidationError, form, next_steps) -> None:
    """A service's ValidationError onto the main form or the next-step row it names."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.error_dict.items():
        if field.startswith(f"{PREFIX}-"):
            _prefix, index, name = field.split("-", 2)
            row = next_steps.steps_forms()[int(index)]
            row.add_error(name if name in row.fields else None, messages)
        elif field in form.fields:
            form.add_error(field, messages)
        else:
            form.add_error(None, messages)

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import Access, accounts_for_user, get_account_for_user
from capture import services, tasks
from capture.forms import AssignForm, DomainForm, EmailUploadForm, SenderRuleForm
from capture.models import CaptureRule, InboundMessage, MessageStatus
from capture.selectors import LOG_PAGE_SIZE, capture_log, live_logging_address
from kam.params import parse_int


@require_GET
def capture_log_page(request):
    rows = list(capture_log(request.user)[:LOG_PAGE_SIZE])
    has_triage = any(row.status == MessageStatus.TRIAGE for row in rows)
    accounts = accounts_for_user(request.user, action=Access.EDIT).order_by("name")
    return render(
        request,
        "capture/capture_log.html",
        {
            "rows": rows,
            "address": live_logging_address(request.user),
            "assign_form": AssignForm(accounts=accounts) if has_triage else None,
        },
    )


@require_GET
def logging_address_page(request):
    return render(
        request, "capture/logging_address.html", {"address": live_logging_address(request.user)}
    )


@require_POST
def logging_address_regenerate(request):
    services.logging_address_regenerate(user=request.user)
    messages.success(request, _("A new logging address was created; the old one no longer works."))
    return redirect("logging_address")


@require_POST
def logging_address_revoke(request):
    if services.logging_address_revoke(user=request.user):
        messages.success(request, _("Logging address revoked."))
    return redirect("logging_address")


def _own_message(request, pk: int) -> InboundMessage:
    """One of the user's own messages (anyone else's is 404: another's log is not theirs)."""
    return get_object_or_404(
        InboundMessage.objects.select_related("account"), pk=pk, user=request.user
    )


@require_POST
def message_request_open(request, pk: int):
    message = _own_message(request, pk)
    if message.account_id is None:
        return redirect("capture_log")
    get_account_for_user(request.user, message.account_id, action=Access.EDIT)
    try:
        opened = services.message_request_open(message=message, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Request #%(number)s opened.") % {"number": opened.pk})
    return redirect("capture_log")


@require_POST
def message_assign(request, pk: int):
    message = _own_message(request, pk)
    form = AssignForm(request.POST, accounts=accounts_for_user(request.user, action=Access.EDIT))
    if not form.is_valid():
        messages.error(request, _("Choose one of your accounts."))
        return redirect("capture_log")
    account = get_account_for_user(request.user, form.cleaned_data["account"].pk,
                                   action=Access.EDIT)  # fmt: skip
    try:
        services.message_assign(
            message=message, account=account, actor=request.user,
            add_sender=form.cleaned_data["add_sender"],
        )  # fmt: skip
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Logged on %(account)s.") % {"account": account.name})
    return redirect("capture_log")


@require_POST
def message_discard(request, pk: int):
    message = _own_message(request, pk)
    try:
        services.message_discard(message=message, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Email discarded."))
    return redirect("capture_log")


@require_http_methods(["GET", "POST"])
def account_email_domains(request, pk: int):
    """The account's mail domains and request rules: seen by whoever sees the account,
    changed by whoever may edit it."""
    write = request.method == "POST"
    account = get_account_for_user(request.user, pk, action=Access.EDIT if write else Access.VIEW)
    domain_form = DomainForm(request.POST if write and "domain" in request.POST else None)
    sender_form = SenderRuleForm(request.POST if write and "sender_email" in request.POST else None)
    if write:
        try:
            if "domain" in request.POST and domain_form.is_valid():
                services.account_domain_add(
                    account=account, domain=domain_form.cleaned_data["domain"], actor=request.user
                )
                messages.success(request, _("Domain added."))
                return redirect("account_email_domains", pk=account.pk)
            if "remove_domain" in request.POST:
                domain_id = parse_int(request.POST["remove_domain"])
                if domain_id is None or not services.account_domain_remove(
                    account=account, domain_id=domain_id, actor=request.user
                ):
                    raise Http404  # not a domain of this account
                messages.success(request, _("Domain removed."))
                return redirect("account_email_domains", pk=account.pk)
            if "account_rule" in request.POST:
                services.capture_rule_set(
                    account=account, on=request.POST["account_rule"] == "on", actor=request.user
                )
                messages.success(request, _("Request rule saved."))
                return redirect("account_email_domains", pk=account.pk)
            if "sender_email" in request.POST and sender_form.is_valid():
                services.capture_rule_set(
                    account=account, sender_email=sender_form.cleaned_data["sender_email"],
                    on=request.POST.get("on", "on") == "on", actor=request.user,
                )  # fmt: skip
                messages.success(request, _("Request rule saved."))
                return redirect("account_email_domains", pk=account.pk)
        except ValidationError as error:
            for message in error.messages:
                domain_form.add_error(None, message)
    errors = domain_form.errors or sender_form.errors
    return _email_page(
        request, account, domain_form=domain_form, sender_form=sender_form,
        status=422 if errors else 200,
    )  # fmt: skip


def _email_page(request, account, *, domain_form=None, sender_form=None, upload_form=None,
                status=200):  # fmt: skip
    rules = list(CaptureRule.objects.filter(account=account).order_by("sender_email"))
    return render(
        request,
        "capture/account_email_domains.html",
        {
            "account": account,
            "tab": "email",
            "domains": list(account.email_domains.all()),
            "suggestions": services.domain_suggestions(account),
            "account_rule": any(rule.sender_email == "" for rule in rules),
            "sender_rules": [rule for rule in rules if rule.sender_email],
            "domain_form": domain_form or DomainForm(),
            "sender_form": sender_form or SenderRuleForm(),
            "upload_form": upload_form or EmailUploadForm(),
        },
        status=status,
    )


@require_POST
def account_email_upload(request, pk: int):
    """Add an email saved as a file (.eml) to this account: stored and queued like mail from
    any other way in, logged on THIS account whoever is in it, then processed at once by the
    same task so the page can say what became of it (the queued run finds it done)."""
    account = get_account_for_user(request.user, pk, action=Access.EDIT)
    form = EmailUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _email_page(request, account, upload_form=form, status=422)
    message = services.message_receive(
        raw=form.cleaned_data["eml"].read(), via="upload", user=request.user, account=account
    )
    if message.status == MessageStatus.RECEIVED:
        tasks.message_process(message.pk, sweep=False)
        message = InboundMessage.objects.filter(pk=message.pk).first()
    if message is None:  # the same Message-ID was already stored for the user: kept once
        messages.info(request, _("This email is already in your capture log."))
    elif message.status == MessageStatus.LOGGED and message.account_id == account.pk:
        messages.success(request, _("The email was logged on %(account)s.")
                         % {"account": account.name})  # fmt: skip
    elif message.status == MessageStatus.LOGGED:
        messages.info(request, _("This email was already logged on another account."))
    elif message.status == MessageStatus.RECEIVED:
        messages.info(request, _("The email was received; it will be logged in a moment."))
    else:
        messages.error(
            request,
            _("The email was not logged: %(reason)s") % {"reason": message.reason or
                                                          message.get_status_display()},
        )  # fmt: skip
    return redirect("account_email_domains", pk=account.pk)

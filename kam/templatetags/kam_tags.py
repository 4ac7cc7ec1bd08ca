import functools
import html
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale
from babel.numbers import format_currency, format_decimal
from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext, ngettext, to_locale

from kam.dates import DATE_INPUT_ATTRS
from kam.params import upload_limit
from kam.people import PeopleSelect

register = template.Library()


@register.simple_tag
def date_bounds() -> str:
    """min/max of a hand-written date input: the range the models accept (kam.dates)."""
    return format_html('min="{}" max="{}"', DATE_INPUT_ATTRS["min"], DATE_INPUT_ATTRS["max"])


@register.simple_tag
def options(choices, selected=None) -> str:
    """{% options choices selected %}: the <option>s of a <select> from (value, label) pairs
    (a form field's `field.field.choices`, or pairs a selector built), the one whose value
    equals `selected` as text marked selected; labels escaped. Built in Python, not with a
    template loop: a list's owner filter of 280 KAMs took about 10 ms drawn option by option
    with the template language (bench/README.md, "Templates"). Joined as text with each value
    and label escaped as format_html_join would (`escaped`), not through it: its
    SafeString per option took 10.6 ms for the 1,400 KAMs of the 100,000-account demo, this 1."""
    chosen = str(selected)  # None (nothing chosen) matches no value, "" the empty choice
    parts = []
    for value, label in choices:
        # An id needs no escaping and a plain label no check for __html__: half the time of
        # the 2,800 options of the list's two owner selects at 100,000 accounts.
        text = str(value)
        shown = text if type(value) is int else escaped(value)
        label = html.escape(label) if type(label) is str else escaped(label)
        selected_attr = " selected" if text == chosen else ""
        parts.append(f'<option value="{shown}"{selected_attr}>{label}</option>')
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703 - values and labels escaped


@register.simple_tag
def people_select(scope: str, name: str, value, *, id: str, empty: str, chosen: str = "") -> str:
    """{% people_select "owners" "owner" chosen_id id="…" empty=label chosen=name %}: a
    people picker (kam.people.PeopleSelect) where a filter is not a form field: the chosen
    person only (`chosen`, their name when the view has it; read otherwise), the others found
    by the picker's search of `scope`; `empty` is the option of nobody."""
    attrs = {"id": id, "class": "form-select form-select-sm"}
    names = {value: chosen} if value and chosen else None
    return PeopleSelect(scope, attrs=attrs, empty_label=empty, names=names).render(name, value)


@register.simple_tag(name="upload_limit")
def upload_limit_tag() -> str:
    """{% upload_limit as limit %}: the most a form's body may hold, as the reader writes sizes
    (kam.params.upload_limit)."""
    return upload_limit()


def translated_once(build):
    """`@translated_once def words(): return {...}`: the fixed words of rows drawn by the dozen,
    built (translated) once per language and then read from a cache keyed by the active
    language, not translated again for every row (docs/architecture.md, "One way a row drawn
    by the dozen is drawn")."""
    cached = functools.lru_cache(maxsize=16)(lambda language: build())

    @functools.wraps(build)
    def words() -> dict:
        return cached(get_language())

    return words


def escaped(value) -> str:
    """conditional_escape without its lazy-string wrapper (most of its time over 1,400 options),
    for HTML joined as text in a loop and marked safe once: HTML that says it is safe as it is,
    anything else escaped as Django's escape does."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def drawn_date(value, format_name: str) -> str:
    """`value` as the template language's |date:format_name draws it (a date and time in the
    current time zone), escaped; empty without a value. For the rows drawn in Python."""
    if not value:
        return ""
    return escaped(date_filter(template_localtime(value), format_name))


def badge(tone: str, label) -> str:
    """A Bootstrap badge of `tone` (danger, success...) with `label` escaped."""
    return f'<span class="badge text-bg-{tone}">{escaped(label)}</span>'


# What a row drawn in Python shows for a value it has not, as the templates' |default:"—".
DASH = "—"


def whole_amount(value) -> str:
    """A sum as the templates' |floatformat:"0g"|default:"—" draws it: whole units, grouped in
    the reader's language; DASH without one. For the rows drawn in Python."""
    return floatformat(value, "0g") or DASH


def health_badge(account) -> str:
    """An account's health band as a badge with its score ("72 · Healthy"), "—" when it has no
    band: the accounts list's and the dashboard's renewals drawn in Python."""
    if not account.health_band:
        return DASH
    score = "" if account.health_score is None else f"{escaped(account.health_score)} · "
    return (
        f'<span class="badge band-{escaped(account.health_band)}">'
        f"{score}{escaped(account.get_health_band_display())}</span>"
    )


_PK_MARK = 987654321


def pk_path(url_name: str, pk: int) -> str:
    """reverse(url_name, args=[pk]) for a URL whose one argument is an integer id, for the rows
    drawn in Python by the dozen (activities/templatetags): reverse() took 30 µs a call; this
    reverses once per URL name and place the site is served at, then puts the id in."""
    head, tail = _path_around_pk(url_name, (get_script_prefix(), get_urlconf()))
    return f"{head}{int(pk)}{tail}"


@functools.cache
def _path_around_pk(url_name: str, where: tuple) -> tuple[str, str]:
    """The path before and after the id, reversed once for `where` the site is served (the
    script prefix and urlconf, which reverse() depends on)."""
    head, mark, tail = reverse(url_name, args=[_PK_MARK]).partition(str(_PK_MARK))
    if not mark:
        raise ValueError(f"{url_name} does not take an integer id")
    return head, tail


@register.inclusion_tag("partials/sort_header.html", takes_context=True)
def sort_header(context, sort, key: str, label, target: str = "", classes: str = "") -> dict:
    """{% sort_header sort "revenue" _("Revenue") "account-results" %}: a sortable column header
    (kam.sorting). Its link keeps the page's other parameters, drops the page number and asks
    for the other direction when the column is the sort already; `aria-sort` on the sorted one.
    With `target`, htmx swaps that element and pushes the URL (the plain link without JS)."""
    query = context["request"].GET.copy()
    for name in ("page", "export"):
        query.pop(name, None)
    query["sort"] = sort.toggled(key)
    active = sort.key == key
    return {
        "href": f"?{query.urlencode()}",
        "label": label,
        "active": active,
        "descending": sort.descending,
        "aria_sort": ("descending" if sort.descending else "ascending") if active else "",
        "target": target,
        "classes": classes,
    }


@register.filter
def iso_date(value):
    """{{ notice.params.due_on|iso_date|date:"SHORT_DATE_FORMAT" }}: a date kept as ISO text in
    JSON (notification and reminder params) back to a date, so `date` can format it (it gives
    "" for text)."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return value


@register.simple_tag
def qbr_due_text(due, today, tracked=True, compact=False) -> str:
    """{% qbr_due_text due today tracked compact %}: where an account's QBR clock stands, in
    words (accounts.models.QbrDue `due`, as of `today`); `compact` for one-line lists. Untracked
    (`tracked` False: prospects, churned accounts) is never overdue (Account.qbr_overdue).
    Before the first QBR is held it says "No QBR held yet" and names the contract start (or the
    account's creation) the clock counts from, never "overdue since" a QBR that did not happen.
    The caller shows a scheduled QBR instead when there is one. Drawn in Python like the rows
    of My work, which lists every QBR due (bench/README.md, "My work")."""
    days = due.days_overdue(today)
    overdue = tracked is not False and days > 0
    from_contract = due.basis == due.CONTRACT_START
    short = drawn_date(due.due_on, "SHORT_DATE_FORMAT")
    if due.never_held:
        start = drawn_date(due.counted_from, "SHORT_DATE_FORMAT")
        if compact:
            text = (
                gettext("No QBR held yet · contract started %(start)s")
                if from_contract
                else gettext("No QBR held yet · account created %(start)s")
            ) % {"start": start}
        elif overdue and from_contract:
            text = ngettext(
                "No QBR held yet: counted from the contract start on %(start)s, the first was "
                "due on %(date)s, %(days)s day ago.",
                "No QBR held yet: counted from the contract start on %(start)s, the first was "
                "due on %(date)s, %(days)s days ago.",
                days,
            ) % {"start": start, "date": short, "days": days}
        elif overdue:
            text = ngettext(
                "No QBR held yet: counted from the account's creation on %(start)s, the first "
                "was due on %(date)s, %(days)s day ago.",
                "No QBR held yet: counted from the account's creation on %(start)s, the first "
                "was due on %(date)s, %(days)s days ago.",
                days,
            ) % {"start": start, "date": short, "days": days}
        else:
            text = (
                gettext(
                    "No QBR held yet: counted from the contract start on %(start)s, the first "
                    "is due by %(date)s."
                )
                if from_contract
                else gettext(
                    "No QBR held yet: counted from the account's creation on %(start)s, the "
                    "first is due by %(date)s."
                )
            ) % {"start": start, "date": short}
    elif compact:
        text = (gettext("overdue since %(date)s") if overdue else gettext("due by %(date)s")) % {
            "date": short
        }
    else:
        long_date = drawn_date(due.due_on, "DATE_FORMAT")
        if overdue:
            text = ngettext(
                "Overdue: it was due on %(date)s (%(days)s day ago) and none is scheduled.",
                "Overdue: it was due on %(date)s (%(days)s days ago) and none is scheduled.",
                days,
            ) % {"date": long_date, "days": days}
        else:
            text = gettext("Due by %(date)s; none scheduled yet.") % {"date": long_date}
    tone = " text-danger fw-semibold" if overdue else ""
    return mark_safe(f'<span class="qbr-due{tone}">{text}</span>')  # noqa: S308  # nosec B308 B703 - each value escaped


@register.filter
def money(amount, currency: str):
    """{{ amount|money:currency }} — an amount in the reader's language, with the currency's
    symbol where that language puts it: `R$ 1.234,56` in Portuguese, `R$1,234.56` in English,
    `US$ 1.234,56` for dollars in Portuguese. No amount shows a dash; no currency, the number."""
    return _money(amount, currency, whole=False)


@register.filter
def money_whole(amount, currency: str):
    """{{ amount|money_whole:currency }} — as `money`, rounded to whole units (`R$ 1.235`),
    for headline figures."""
    return _money(amount, currency, whole=True)


def _money(amount, currency: str, *, whole: bool) -> str:
    if amount is None or amount == "":
        return DASH
    try:
        number = Decimal(str(amount))
    except InvalidOperation:
        return amount
    locale = to_locale(get_language() or "en")
    if whole:
        number = number.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if not currency:
        return format_decimal(number, format="#,##0" if whole else "#,##0.00", locale=locale)
    if not whole:
        return format_currency(number, currency, locale=locale)
    # The language's own currency pattern (symbol position, spacing) without the decimals.
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    return format_currency(
        number, currency, format=pattern.replace(".00", ""), locale=locale, currency_digits=False
    )

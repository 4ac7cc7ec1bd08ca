"""The standard exports of the CRMs teams leave (Salesforce, HubSpot, Pipedrive, RD Station
CRM), recognised from their header row: one declarative table per CRM and entity that says
which column feeds which field, which columns are deliberately left out (and why), and how a
column's values are converted on the way in (currency units to millions, HubSpot industry
codes to names, a stage and a status to a KAM stage...).

`dataio.mapping.autodetect` pre-maps a recognised file from its preset; `row_reader` applies
the conversions while dataio.services reads the rows. A converter never raises: a value it
cannot convert is passed on as it is, and the importer rejects it naming the field.
docs/import.md ("Exports of other CRMs") lists the columns each preset expects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from dataio.hubspot_industries import HUBSPOT_INDUSTRIES
from dataio.values import RowReject, is_null, normalise, text, to_decimal

Other = Callable[[str], object]  # the value of another column of the same row, by header


@dataclass(frozen=True)
class Conversion:
    """How one column's values change on the way in; `note` (with %(column)s) says so."""

    apply: Callable[[object, Other], object]
    note: object
    other: str = ""  # the other column it reads, for the note


@dataclass(frozen=True)
class Column:
    header: str
    # The field it feeds; "" when the column is deliberately not imported (`why` says why).
    field: str = ""
    convert: Conversion | None = None
    why: object = ""


@dataclass(frozen=True)
class Preset:
    key: str
    entity: str
    label: object  # "Salesforce accounts report"
    # Every one of these headers is in the file, and at least one of `markers` (when given).
    signature: tuple[str, ...]
    columns: tuple[Column, ...]
    markers: tuple[str, ...] = ()

    @property
    def known(self) -> set[str]:
        return {normalise(column.header) for column in self.columns}

    def matches(self, present: set[str]) -> bool:
        return all(normalise(h) in present for h in self.signature) and (
            not self.markers or any(normalise(h) in present for h in self.markers)
        )


# --- conversions ---------------------------------------------------------------------------

MILLION = Decimal(1_000_000)
CENT = Decimal("0.01")


def _millions(value, _other):
    if is_null(value):
        return value
    try:
        number = to_decimal(value, "")
    except RowReject:
        return value
    return (number / MILLION).quantize(CENT, rounding=ROUND_HALF_UP)


def _web_address(value, _other):
    raw = "" if is_null(value) else text(value)
    if raw and "://" not in raw:
        return f"https://{raw}"
    return value


def _hubspot_industry(value, _other):
    label = HUBSPOT_INDUSTRIES.get(text(value).upper())
    return str(label) if label is not None else value


def _choice(table: dict[str, str | None]) -> Callable:
    """A value looked up (normalised) in `table`; None there means "leave the field as it is";
    a value the table does not know is passed on."""

    def convert(value, _other):
        key = normalise(value)
        return table.get(key, value)

    return convert


def _stage_with_status(status_header: str, statuses: dict[str, str], stages: dict[str, str]):
    """The stage column names the pipeline step; a won or lost deal says so in a status column
    (Pipedrive, RD Station): the status wins when it is one of `statuses`."""

    def convert(value, other):
        status = statuses.get(normalise(other(status_header)))
        if status:
            return status
        return stages.get(normalise(value), value)

    return convert


def _joined_after(first_header: str):
    """The full name from a first-name and a last-name column."""

    def convert(value, other):
        first = other(first_header)
        parts = [text(part) for part in (first, value) if not is_null(part)]
        return " ".join(parts) if parts else value

    return convert


def _or_else(fallback_header: str):
    """This column, or another one when it is empty (a won deal's close date, else the
    expected one)."""

    def convert(value, other):
        return other(fallback_header) if is_null(value) else value

    return convert


MILLIONS = Conversion(_millions, _("%(column)s converted from units to millions."))
WEB_ADDRESS = Conversion(_web_address, _("%(column)s: https:// added where it was missing."))
HUBSPOT_INDUSTRY = Conversion(
    _hubspot_industry,
    _("%(column)s: HubSpot industry codes turned into names (COMPUTER_SOFTWARE → %(example)s)."),
)

SALESFORCE_STAGES = {
    "prospecting": "identified",
    "qualification": "qualified",
    "needsanalysis": "qualified",
    "valueproposition": "proposal",
    "iddecisionmakers": "proposal",
    "perceptionanalysis": "proposal",
    "proposalpricequote": "proposal",
    "negotiationreview": "negotiation",
    "closedwon": "won",
    "closedlost": "lost",
}
# HubSpot's default sales pipeline, by internal id or label.
HUBSPOT_STAGES = {
    "appointmentscheduled": "identified",
    "qualifiedtobuy": "qualified",
    "presentationscheduled": "proposal",
    "decisionmakerboughtin": "negotiation",
    "contractsent": "negotiation",
    "closedwon": "won",
    "closedlost": "lost",
}
# Pipedrive's default pipeline.
PIPEDRIVE_STAGES = {
    "leadin": "identified",
    "qualified": "qualified",
    "contactmade": "qualified",
    "demoscheduled": "qualified",
    "needsdefined": "qualified",
    "proposalmade": "proposal",
    "negotiationsstarted": "negotiation",
}
WON_LOST = {"won": "won", "lost": "lost"}
# RD Station CRM's default sales funnel.
RD_STATION_STAGES = {
    "semcontato": "identified",
    "contatofeito": "identified",
    "identificacaodointeresse": "qualified",
    "apresentacao": "proposal",
    "propostaenviada": "proposal",
    "negociacao": "negotiation",
    "emnegociacao": "negotiation",
}
RD_STATION_STATUSES = {
    "vendida": "won",
    "ganha": "won",
    "ganho": "won",
    "perdida": "lost",
    "perdido": "lost",
}

SALESFORCE_STAGE = Conversion(
    _choice(SALESFORCE_STAGES),
    _("%(column)s: Salesforce stages turned into KAM stages (Negotiation/Review → negotiation)."),
)
HUBSPOT_STAGE = Conversion(
    _choice(HUBSPOT_STAGES),
    _("%(column)s: HubSpot deal stages turned into KAM stages (closedwon → won)."),
)
PIPEDRIVE_STAGE = Conversion(
    _stage_with_status("Deal - Status", WON_LOST, PIPEDRIVE_STAGES),
    _("%(column)s: a won or lost status wins, else the Pipedrive stage becomes a KAM stage."),
)
RD_STATION_STAGE = Conversion(
    _stage_with_status("Status", RD_STATION_STATUSES, RD_STATION_STAGES),
    _("%(column)s: a won (Vendida) or lost status wins, else the stage becomes a KAM stage."),
)
SALESFORCE_ACCOUNT_TYPE = Conversion(
    _choice(
        {
            "prospect": "prospect",
            "customerdirect": "active",
            "customerchannel": "active",
            "customer": "active",
        }
        | dict.fromkeys(
            ("channelpartnerreseller", "installationpartner", "technologypartner", "other", ""),
        )
    ),
    _("%(column)s: Prospect and Customer set the account status; other types leave it."),
)
HUBSPOT_LIFECYCLE = Conversion(
    _choice(
        dict.fromkeys(
            (
                "subscriber",
                "lead",
                "marketingqualifiedlead",
                "salesqualifiedlead",
                "opportunity",
            ),
            "prospect",
        )
        | {"customer": "active", "evangelist": "active", "other": None, "": None}
    ),
    _("%(column)s: customers are active accounts, leads and opportunities prospects."),
)
SALESFORCE_OPPORTUNITY_TYPE = Conversion(
    _choice(
        {"existingcustomerupgrade": "upsell", "existingcustomerreplacement": "renewal"}
        | dict.fromkeys(("newcustomer", "existingcustomerdowngrade", ""))
    ),
    _("%(column)s: upgrades are upsells and replacements renewals; other types leave the kind."),
)


def joined(first_header: str) -> Conversion:
    return Conversion(
        _joined_after(first_header),
        _("%(column)s joined after “%(other)s” into the name."),
        first_header,
    )


def or_else(fallback_header: str) -> Conversion:
    return Conversion(
        _or_else(fallback_header),
        _("%(column)s, or “%(other)s” when it is empty."),
        fallback_header,
    )


# Why a column is not imported.
NO_FIELD = _("KAM has no field for it")
WORKED_OUT = _("KAM works it out from its own records")
IN_THE_NAME = _("joined into the name")


def _skip(*headers: str, why=NO_FIELD) -> tuple[Column, ...]:
    return tuple(Column(header, why=why) for header in headers)


# --- the exports -----------------------------------------------------------------------------

PRESETS: tuple[Preset, ...] = (
    Preset(
        "salesforce_accounts",
        "accounts",
        _("Salesforce accounts report"),
        signature=("Account Name", "Account Owner"),
        markers=("Account ID", "Parent Account ID", "Billing City", "Billing Country", "Rating"),
        columns=(
            Column("Account ID", "external_id"),
            Column("Account Name", "name"),
            Column("Parent Account ID", "parent"),
            Column("Parent Account", "parent"),
            Column("Type", "status", SALESFORCE_ACCOUNT_TYPE),
            Column("Industry", "industry"),
            Column("Annual Revenue", "annual_revenue_musd", MILLIONS),
            Column("Employees", "employees"),
            Column("Billing City", "hq_city"),
            Column("Billing State/Province", "region"),
            Column("Billing Country", "hq_country"),
            Column("Website", "website", WEB_ADDRESS),
            Column("Account Owner", "owner"),
            Column("Description", "needs"),
            *_skip("Phone", "Fax", "Account Number", "Rating", "Billing Street"),
            *_skip("Billing Zip/Postal Code", "Account Site", "Ownership", "SIC Code"),
            *_skip("Last Activity", "Last Modified Date", "Created Date", why=WORKED_OUT),
        ),
    ),
    Preset(
        "salesforce_contacts",
        "stakeholders",
        _("Salesforce contacts report"),
        signature=("Account Name", "Last Name"),
        markers=("Contact ID", "Contact Owner", "Mailing City", "Reports To"),
        columns=(
            Column("Contact ID", "external_id"),
            Column("Account ID", "account"),
            Column("Account Name", "account"),
            Column("Full Name", "name"),
            Column("Last Name", "name", joined("First Name")),
            Column("First Name", why=IN_THE_NAME),
            Column("Title", "title"),
            Column("Department", "department"),
            Column("Email", "email"),
            Column("Phone", "phone"),
            Column("Mobile", "phone"),
            Column("Reports To", "reports_to"),
            Column("Description", "notes"),
            *_skip("Salutation", "Contact Owner", "Mailing City", "Mailing Country", "Fax"),
            *_skip("Mailing Street", "Mailing State/Province", "Lead Source", "Birthdate"),
            *_skip("Last Activity", "Created Date", "Last Modified Date", why=WORKED_OUT),
        ),
    ),
    Preset(
        "salesforce_opportunities",
        "deals",
        _("Salesforce opportunities report"),
        signature=("Opportunity Name", "Stage"),
        markers=("Opportunity ID", "Opportunity Owner", "Account Name"),
        columns=(
            Column("Opportunity ID", "external_id"),
            Column("Account ID", "account"),
            Column("Account Name", "account"),
            Column("Opportunity Name", "title"),
            Column("Stage", "stage", SALESFORCE_STAGE),
            Column("Amount", "amount"),
            Column("Probability (%)", "probability"),
            Column("Close Date", "close_date"),
            Column("Created Date", "engage_date"),
            Column("Opportunity Owner", "owner"),
            Column("Type", "kind", SALESFORCE_OPPORTUNITY_TYPE),
            Column("Product Name", "product"),
            *_skip("Fiscal Period", "Next Step", "Lead Source", "Opportunity Currency"),
            *_skip("Expected Revenue", "Forecast Category"),
            *_skip("Age", "Last Activity", "Last Modified Date", why=WORKED_OUT),
        ),
    ),
    Preset(
        "hubspot_companies",
        "accounts",
        _("HubSpot companies export"),
        signature=("Record ID", "Company name"),
        markers=("Company owner", "Company Domain Name", "Country/Region", "Lifecycle Stage"),
        columns=(
            Column("Record ID", "external_id"),
            Column("Company name", "name"),
            Column("Parent Company ID", "parent"),
            Column("Parent Company", "parent"),
            Column("Industry", "industry", HUBSPOT_INDUSTRY),
            Column("Annual Revenue", "annual_revenue_musd", MILLIONS),
            Column("Number of Employees", "employees"),
            Column("City", "hq_city"),
            Column("State/Region", "region"),
            Column("Country/Region", "hq_country"),
            Column("Website URL", "website", WEB_ADDRESS),
            Column("Company Domain Name", "website", WEB_ADDRESS),
            Column("Company owner", "owner"),
            Column("Lifecycle Stage", "status", HUBSPOT_LIFECYCLE),
            Column("Year Founded", "founded_year"),
            Column("Description", "needs"),
            *_skip("Phone Number", "Type", "Time Zone", "LinkedIn Company Page"),
            *_skip("Street Address", "Postal Code", "Lead Status"),
            *_skip("Create Date", "Last Activity Date", "Number of child companies"),
            *_skip("Associated Contact", "Associated Deal", why=WORKED_OUT),
        ),
    ),
    Preset(
        "hubspot_contacts",
        "stakeholders",
        _("HubSpot contacts export"),
        signature=("Record ID", "Last Name"),
        markers=("Contact owner", "Associated Company", "Job Title", "Company Name"),
        columns=(
            Column("Record ID", "external_id"),
            Column("Associated Company", "account"),
            Column("Company Name", "account"),
            Column("Last Name", "name", joined("First Name")),
            Column("First Name", why=IN_THE_NAME),
            Column("Job Title", "title"),
            Column("Email", "email"),
            Column("Phone Number", "phone"),
            Column("Mobile Phone Number", "phone"),
            *_skip("Contact owner", "Lifecycle Stage", "Lead Status", "Marketing contact status"),
            *_skip("City", "Country/Region", "Associated Deal"),
            *_skip("Create Date", "Last Activity Date", why=WORKED_OUT),
        ),
    ),
    Preset(
        "hubspot_deals",
        "deals",
        _("HubSpot deals export"),
        signature=("Record ID", "Deal Name", "Deal Stage"),
        columns=(
            Column("Record ID", "external_id"),
            Column("Associated Company", "account"),
            Column("Deal Name", "title"),
            Column("Deal Stage", "stage", HUBSPOT_STAGE),
            Column("Amount", "amount"),
            Column("Close Date", "close_date"),
            Column("Create Date", "engage_date"),
            Column("Deal owner", "owner"),
            Column("Deal probability", "probability"),
            *_skip("Pipeline", "Deal Type", "Deal Description", "Associated Contact"),
            *_skip("Last Activity Date", why=WORKED_OUT),
        ),
    ),
    Preset(
        "pipedrive_organizations",
        "accounts",
        _("Pipedrive organizations export"),
        signature=("Organization - Name",),
        markers=("Organization - ID", "Organization - Owner", "Organization - Address"),
        columns=(
            Column("Organization - ID", "external_id"),
            Column("Organization - Name", "name"),
            Column("Organization - Owner", "owner"),
            Column("Organization - Address - City/town/village/locality", "hq_city"),
            Column("Organization - Address - City", "hq_city"),
            Column("Organization - Address - State/county", "region"),
            Column("Organization - Address - Country", "hq_country"),
            Column("Organization - Industry", "industry"),
            Column("Organization - Annual revenue", "annual_revenue_musd", MILLIONS),
            Column("Organization - Number of employees", "employees"),
            Column("Organization - Employees", "employees"),
            Column("Organization - Website", "website", WEB_ADDRESS),
            *_skip("Organization - Address", "Organization - Label", "Organization - Visible to"),
            *_skip("Organization - People", "Organization - Open deals"),
            *_skip("Organization - Closed deals", "Organization - Won deals"),
            *_skip(
                "Organization - Organization created",
                "Organization - Update time",
                "Organization - Last activity date",
                "Organization - Next activity date",
                why=WORKED_OUT,
            ),
        ),
    ),
    Preset(
        "pipedrive_persons",
        "stakeholders",
        _("Pipedrive people export"),
        signature=("Person - Name", "Person - Organization"),
        columns=(
            Column("Person - ID", "external_id"),
            Column("Person - Organization", "account"),
            Column("Person - Name", "name"),
            Column("Person - First name", why=IN_THE_NAME),
            Column("Person - Last name", why=IN_THE_NAME),
            Column("Person - Job title", "title"),
            Column("Person - Email", "email"),
            Column("Person - Email - Work", "email"),
            Column("Person - Phone", "phone"),
            Column("Person - Phone - Work", "phone"),
            Column("Person - Phone - Mobile", "phone"),
            *_skip("Person - Owner", "Person - Label", "Person - Visible to"),
            *_skip("Person - Open deals", "Person - Closed deals", "Person - Won deals"),
            *_skip("Person - Person created", "Person - Update time", why=WORKED_OUT),
        ),
    ),
    Preset(
        "pipedrive_deals",
        "deals",
        _("Pipedrive deals export"),
        signature=("Deal - Title", "Deal - Organization"),
        columns=(
            Column("Deal - ID", "external_id"),
            Column("Deal - Organization", "account"),
            Column("Deal - Title", "title"),
            Column("Deal - Stage", "stage", PIPEDRIVE_STAGE),
            Column("Deal - Status", why=_("read with the stage")),
            Column("Deal - Value", "amount"),
            Column("Deal - Won time", "close_date", or_else("Deal - Expected close date")),
            Column("Deal - Expected close date", "close_date"),
            Column("Deal - Deal created", "engage_date"),
            Column("Deal - Owner", "owner"),
            Column("Deal - Probability", "probability"),
            *_skip("Deal - Currency", "Deal - Contact person", "Deal - Pipeline"),
            *_skip("Deal - Lost reason", "Deal - Lost time", "Deal - Label", "Deal - Visible to"),
            *_skip("Deal - Update time", "Deal - Last activity date", why=WORKED_OUT),
        ),
    ),
    Preset(
        "rdstation_organizations",
        "accounts",
        _("RD Station CRM companies export"),
        signature=("Nome", "Responsável"),
        markers=("Segmentos", "Segmento", "URL"),
        columns=(
            Column("Nome", "name"),
            Column("Razão social", "legal_name"),
            Column("CNPJ", "tax_id"),
            Column("Segmentos", "industry"),
            Column("Segmento", "industry"),
            Column("URL", "website", WEB_ADDRESS),
            Column("Site", "website", WEB_ADDRESS),
            Column("Responsável", "owner"),
            Column("Cidade", "hq_city"),
            Column("Estado", "region"),
            Column("País", "hq_country"),
            Column("Resumo", "needs"),
            *_skip("Telefone", "Endereço", "Contatos", "Negociações"),
            *_skip("Data de criação", "Última atualização", why=WORKED_OUT),
        ),
    ),
    Preset(
        "rdstation_contacts",
        "stakeholders",
        _("RD Station CRM contacts export"),
        signature=("Nome", "Empresa", "Cargo"),
        markers=("Email", "E-mail", "Telefone"),
        columns=(
            Column("Empresa", "account"),
            Column("Nome", "name"),
            Column("Cargo", "title"),
            Column("Email", "email"),
            Column("E-mail", "email"),
            Column("Telefone", "phone"),
            Column("Celular", "phone"),
            Column("Observações", "notes"),
            *_skip("Responsável", "Negociações", "Redes sociais", "Aniversário"),
            *_skip("Data de criação", "Última atualização", why=WORKED_OUT),
        ),
    ),
    Preset(
        "rdstation_deals",
        "deals",
        _("RD Station CRM deals export"),
        signature=("Nome", "Empresa", "Etapa"),
        markers=("Funil de vendas", "Valor Total", "Valor Único", "Previsão de fechamento"),
        columns=(
            Column("Nome", "title"),
            Column("Empresa", "account"),
            Column("Etapa", "stage", RD_STATION_STAGE),
            Column("Status", why=_("read with the stage")),
            Column("Valor Total", "amount"),
            Column("Valor Único", "amount"),
            Column("Data de fechamento", "close_date", or_else("Previsão de fechamento")),
            Column("Previsão de fechamento", "close_date"),
            Column("Data de criação", "engage_date"),
            Column("Responsável", "owner"),
            *_skip("Funil de vendas", "Valor Recorrente", "Contato", "Qualificação", "Fonte"),
            *_skip("Campanha", "Motivo de perda", "Produtos", "Pausada"),
            *_skip("Última atualização", why=WORKED_OUT),
        ),
    ),
)


def detect(entity: str, headers: list[str]) -> Preset | None:
    """The export of `entity` these headers come from, or None; when several fit, the one that
    knows the most of the file's columns."""
    present = {normalise(header) for header in headers if header}
    candidates = [p for p in PRESETS if p.entity == entity and p.matches(present)]
    return max(candidates, key=lambda p: len(present & p.known), default=None)


def detect_other(entity: str, headers: list[str]) -> Preset | None:
    """A preset of another entity these headers fit (the file was uploaded as the wrong kind
    of rows), when none of `entity` does."""
    if detect(entity, headers):
        return None
    present = {normalise(header) for header in headers if header}
    candidates = [p for p in PRESETS if p.entity != entity and p.matches(present)]
    return max(candidates, key=lambda p: len(present & p.known), default=None)


def _headers_by_name(headers: list[str]) -> dict[str, str]:
    by_name: dict[str, str] = {}
    for header in headers:
        if header:
            by_name.setdefault(normalise(header), header)
    return by_name


def preset_mapping(preset: Preset, headers: list[str]) -> dict[str, str]:
    """{header: field} for the preset's columns in the file; of two columns that feed one
    field, the first listed wins."""
    by_name = _headers_by_name(headers)
    mapping: dict[str, str] = {}
    for column in preset.columns:
        header = by_name.get(normalise(column.header))
        if header is None or not column.field or column.field in mapping.values():
            continue
        mapping.setdefault(header, column.field)
    return mapping


@dataclass(frozen=True)
class Explanation:
    """What the wizard and the command say about a recognised file."""

    preset: Preset
    conversions: list[str]
    left_out: list[tuple[str, str]]  # (header, why)


def _conversions_in_use(preset: Preset, headers: list[str], mapping: dict[str, str]):
    """{header: Conversion} for the preset's columns mapped to the preset's own field."""
    by_name = _headers_by_name(headers)
    used = {}
    for column in preset.columns:
        header = by_name.get(normalise(column.header))
        if header and column.convert and mapping.get(header) == column.field:
            used.setdefault(header, column.convert)
    return used


def explain(entity: str, headers: list[str], mapping: dict[str, str]) -> Explanation | None:
    preset = detect(entity, headers)
    if preset is None:
        return None
    by_name = _headers_by_name(headers)
    conversions = [
        str(conversion.note)
        % {
            "column": header,
            "other": conversion.other,
            "example": HUBSPOT_INDUSTRIES["COMPUTER_SOFTWARE"],
        }
        for header, conversion in _conversions_in_use(preset, headers, mapping).items()
    ]
    left_out = []
    for column in preset.columns:
        header = by_name.get(normalise(column.header))
        if header is None or header in mapping:
            continue
        why = column.why or (_("another column gives it") if column.field else NO_FIELD)
        left_out.append((header, str(why)))
    return Explanation(preset=preset, conversions=conversions, left_out=left_out)


def row_reader(entity: str, headers: list[str], mapping: dict[str, str]):
    """cells → {field: value} for one row, with the preset's conversions (when the file is a
    recognised export) applied to the columns mapped as the preset maps them."""
    preset = detect(entity, headers)
    conversions = _conversions_in_use(preset, headers, mapping) if preset else {}
    by_name = _headers_by_name(headers)

    def read(cells: dict) -> dict:
        def other(header: str):
            return cells.get(by_name.get(normalise(header), ""))

        return {
            target: (
                conversions[column].apply(cells.get(column), other)
                if column in conversions
                else cells.get(column)
            )
            for column, target in mapping.items()
        }

    return read

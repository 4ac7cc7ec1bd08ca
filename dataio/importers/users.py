"""Users (sales teams) from a file; an unknown manager is created as a sales leader."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from dataio.importers.base import (
    CHOICE,
    CREATED,
    PLACEHOLDER_EMAIL_DOMAIN,
    UPDATED,
    Importer,
    Planned,
    _f,
    _required_text,
    _validation_reason,
    action_for,
    instance_for,
)
from dataio.values import (
    RowReject,
    is_null,
    normalise,
    text,
    to_choice,
)
from kam.models import Role, User

ROLE_ALIASES = {
    "agent": "kam",
    "sales_agent": "kam",
    "key_account_manager": "kam",
    "gerente_de_contas": "kam",
    "vendedor": "kam",
    "manager": "leader",
    "sales_manager": "leader",
    "gestor": "leader",
    "lider": "leader",
    "administrador": "admin",
}


class UserImporter(Importer):
    """One row per person; a `manager` column names their sales leader, created (role leader)
    when nobody by that name exists."""

    entity = "users"
    label = gettext_lazy("Users")
    fields = (
        _f(
            "full_name",
            gettext_lazy("full name"),
            "name",
            "sales_agent",
            "agent",
            "user",
            "salesperson",
            "nome",
            "nome_completo",
            "vendedor",
            required=True,
        ),
        _f("email", gettext_lazy("email"), "e_mail", "email_address", "login"),
        _f(
            "role",
            gettext_lazy("role"),
            "papel",
            "profile",
            "perfil",
            "funcao",
            kind=CHOICE,
            choices=Role,
            values=ROLE_ALIASES,
        ),
        _f(
            "manager",
            gettext_lazy("manager"),
            "sales_manager",
            "leader",
            "gestor",
            "reports_to",
            "lider",
            "gerente",
        ),
        _f(
            "region",
            gettext_lazy("regional office"),
            "regional_office",
            "office",
            "regiao",
            "territory",
            "escritorio_regional",
            "escritorio",
        ),
    )

    def prepare(self, records) -> None:
        self._load_users()
        self.planned_managers: dict[str, User] = {}
        self.file_names = {normalise(v.get("full_name")) for _r, v in records}

    def _email_for(self, name: str) -> str:
        local = re.sub(r"[^a-z0-9]+", ".", normalise_spaces(name)).strip(".") or "user"
        return f"{local}@{PLACEHOLDER_EMAIL_DOMAIN}"

    def _find(self, email: str, name: str) -> User | None:
        if email:
            found = self.users_by_email.get(email.lower())
            if found is not None:
                return found
        matches = self.users_by_name.get(normalise(name), [])
        if len(matches) > 1:
            raise RowReject(
                _("%(count)s users are already called “%(name)s”; add an email column.")
                % {"count": len(matches), "name": name}
            )
        return matches[0] if matches else None

    def _manager(self, value, label) -> User | None:
        if is_null(value):
            return None
        name = text(value)
        found = self._find("", name) if "@" not in name else self.users_by_email.get(name.lower())
        if found is not None:
            return found
        key = normalise(name)
        if key not in self.planned_managers:
            self.planned_managers[key] = User(
                full_name=name, email=self._email_for(name), role=Role.LEADER
            )
        return self.planned_managers[key]

    def resolve(self, row, values) -> Planned:
        labels = self.field_labels()
        name = _required_text(values, "full_name", labels["full_name"])
        email = "" if is_null(values.get("email")) else text(values["email"]).lower()
        attrs: dict = {"full_name": name}
        if "role" in values and not is_null(values["role"]):
            attrs["role"] = to_choice(values["role"], labels["role"], Role.choices, ROLE_ALIASES)
        if "region" in values:
            attrs["region"] = "" if is_null(values["region"]) else text(values["region"])
        manager = self._manager(values.get("manager"), labels["manager"])
        if manager is not None and normalise(manager.full_name) == normalise(name):
            raise RowReject(_("A user cannot be their own manager."))
        existing = self._find(email, name)
        user, changes = instance_for(
            existing, attrs, lambda: User(email=email or self._email_for(name), role=Role.KAM)
        )
        action = action_for(existing, changes)
        if "manager" in values and existing is not None:
            current = normalise(existing.manager.full_name) if existing.manager else None
            if current != (normalise(manager.full_name) if manager else None):
                changes.append("manager")
                action = UPDATED
        try:
            user.full_clean(
                exclude=["password", "manager", "groups", "user_permissions"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            raise RowReject(_validation_reason(error)) from error
        return Planned(
            row=row,
            key=("user", email or normalise(name)),
            label=name,
            instance=user,
            action=action,
            changes=changes,
            extra={"manager": manager, "manager_mapped": "manager" in values},
        )

    def write(self, planned) -> None:
        managers = [m for m in self.planned_managers.values() if m.pk is None]
        for manager in managers:
            manager.set_unusable_password()
            manager.save()
        if managers:
            self.notes.append(
                ngettext(
                    "%(count)s manager created as a sales leader: %(names)s.",
                    "%(count)s managers created as sales leaders: %(names)s.",
                    len(managers),
                )
                % {"count": len(managers), "names": ", ".join(m.full_name for m in managers)}
            )
        for p in planned:
            user = p.instance
            if p.extra["manager_mapped"]:
                user.manager = p.extra["manager"]
            if p.action == CREATED:
                user.set_unusable_password()
                user.save()
            elif p.action == UPDATED:
                # The role decides Django admin access (User.save): save both with it.
                staff = ["is_staff", "is_superuser"] if "role" in p.changes else []
                user.save(update_fields=[*p.changes, *staff])


def normalise_spaces(name: str) -> str:
    """`Ana Lúcia` → `ana lucia` (for generated email addresses)."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()

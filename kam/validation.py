from django.db import models


def clean_row(instance: models.Model) -> None:
    """Field rules (choices, lengths, validators) of a row a service is about to write, without
    full_clean()'s query per foreign key and per constraint.

    Services pass related rows they have already loaded and check cross-row rules themselves;
    the database still enforces every foreign key and constraint. The per-row queries would
    otherwise dominate a quick log (and the demo seed)."""
    relations = [field.name for field in instance._meta.concrete_fields if field.is_relation]
    instance.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)

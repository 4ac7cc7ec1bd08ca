from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ImportEntity(models.TextChoices):
    ACCOUNTS = "accounts", _("Accounts")
    STAKEHOLDERS = "stakeholders", _("Stakeholders")
    DEALS = "deals", _("Deals (revenue and opportunities)")
    INTERACTIONS = "interactions", _("Interactions")
    USERS = "users", _("Users (sales team)")
    PRODUCTS = "products", _("Products")
    REQUESTS = "requests", _("Client requests")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    PREVIEWED = "previewed", _("Previewed")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One uploaded file on its way in: the bytes (in the database, so any worker on any
    machine reads them), the column mapping, the dry-run preview, then the outcome."""

    entity = models.CharField(_("what the rows are"), max_length=15, choices=ImportEntity.choices)
    filename = models.CharField(_("file"), max_length=255)
    content = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=4, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=2, blank=True)
    headers = models.JSONField(default=list)
    # {column header: target field name}; unmapped columns are absent.
    mapping = models.JSONField(default=dict)
    # {target field: {value in the file: choice value, or "" to reject its rows}} for the
    # mapped choice columns, as confirmed on the values step; values absent map by default.
    value_mapping = models.JSONField(default=dict, blank=True)
    currency = models.CharField(_("currency of new rows"), max_length=3, blank=True)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    # {"created": n, "updated": n, "unchanged": n, "rejected": n}
    counts = models.JSONField(default=dict)
    # Row by row: [{"row", "action", "label", "reason", "changes"}], from the dry run and then
    # from the real run.
    outcomes = models.JSONField(default=list)
    notes = models.JSONField(default=list)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(entity__in=ImportEntity.values), name="import_entity_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="import_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_entity_display()}: {self.filename}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def progress_pct(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, round(self.processed_rows * 100 / self.total_rows))

    @property
    def rejects(self) -> list[dict]:
        return [o for o in self.outcomes if o["action"] == "rejected"]

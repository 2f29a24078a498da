"""The rate card (with its CSV import) and the providers' bills (imported here or by
`manage.py import_bill`, whose progress the import list shows while it runs)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from .bill_formats import FORMATS
from .imports import FileRejected, bill_import
from .models import BillImport, ColumnMapping, Rate, RateCard
from .rate_import import COLUMNS as RATE_COLUMNS
from .rate_import import rates_import


class RateInline(admin.TabularInline):
    model = Rate
    extra = 1
    fields = list(RATE_COLUMNS)


class RatesUploadForm(forms.Form):
    file = forms.FileField(help_text="CSV: " + ", ".join(RATE_COLUMNS))


@admin.register(RateCard)
class RateCardAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    inlines = [RateInline]

    def get_urls(self) -> list[Any]:
        upload = self.admin_site.admin_view(self.upload_view)
        return [
            path("<int:pk>/upload/", upload, name="billing_ratecard_upload"),
            *super().get_urls(),
        ]

    def upload_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        card = RateCard.objects.get(pk=pk)
        if not self.has_change_permission(request, card):
            return HttpResponseRedirect(reverse("admin:index"))
        form = RatesUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                count = rates_import(card_name=card.name, stream=form.cleaned_data["file"])
            except FileRejected as exc:
                form.add_error("file", str(exc))
            else:
                self.message_user(request, f"{count} rates imported into {card.name}.")
                return HttpResponseRedirect(reverse("admin:billing_ratecard_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "card": card,
            "title": f"Import rates into {card.name}",
        }
        return render(request, "admin/billing/upload.html", context)


@admin.register(Rate)
class RateAdmin(admin.ModelAdmin):
    list_display = [
        "provider",
        "channel",
        "country",
        "operator",
        "category",
        "encoding",
        "price",
        "currency",
        "valid_from",
        "card",
    ]
    list_filter = ["provider", "channel", "currency", "card"]
    search_fields = ["provider", "country", "operator"]
    date_hierarchy = "valid_from"


@admin.register(ColumnMapping)
class ColumnMappingAdmin(admin.ModelAdmin):
    list_display = [
        "provider",
        "message_id_column",
        "time_column",
        "amount_column",
        "currency_column",
        "delimiter",
    ]


class BillUploadForm(forms.Form):
    provider = forms.RegexField(r"^[a-z0-9_-]+$", max_length=40)
    file_format = forms.ChoiceField(choices=[(f, f) for f in FORMATS])
    currency = forms.CharField(
        max_length=3, required=False, help_text="The bill's currency, if its rows do not say."
    )
    file = forms.FileField()


@admin.register(BillImport)
class BillImportAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "provider",
        "file_name",
        "state",
        "rows_read",
        "rows_imported",
        "rows_skipped",
        "currency",
        "finished_at",
    ]
    list_filter = ["provider", "state"]
    readonly_fields = [
        "provider",
        "file_format",
        "file_name",
        "sha256",
        "currency",
        "state",
        "rows_read",
        "rows_imported",
        "rows_skipped",
        "skipped_reasons",
        "skipped_lines",
        "error",
        "first_billed_at",
        "last_billed_at",
        "started_at",
        "finished_at",
    ]
    exclude = ["skipped"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an import is a record of what happened

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        form = BillUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                record, imported = bill_import(
                    provider=data["provider"],
                    file_format=data["file_format"],
                    stream=data["file"],
                    file_name=data["file"].name,
                    currency=data["currency"],
                )
            except ValueError as exc:  # an unknown format or no column mapping
                form.add_error("file_format", str(exc))
            else:
                level = (
                    messages.SUCCESS
                    if record.state == BillImport.State.COMPLETE
                    else messages.ERROR
                )
                text = (
                    f"{record.rows_imported} rows imported, {record.rows_skipped} skipped"
                    if imported
                    else "This file was imported before: nothing changed."
                )
                self.message_user(request, record.error or text, level=level)
                return HttpResponseRedirect(
                    reverse("admin:billing_billimport_change", args=[record.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Import a provider's bill",
        }
        return render(request, "admin/billing/upload.html", context)

    @admin.display(description="skipped, by reason")
    def skipped_reasons(self, obj: BillImport) -> SafeString:
        reasons = (obj.skipped or {}).get("reasons", {})
        return format_html_join("", "<div>{}: {}</div>", sorted(reasons.items()))

    @admin.display(description="skipped lines (first ones)")
    def skipped_lines(self, obj: BillImport) -> SafeString:
        lines = (obj.skipped or {}).get("examples", [])
        return format_html_join("", "<div>line {}: {}</div>", lines)

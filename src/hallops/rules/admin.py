"""Admin pages for modes and rules: forms validated by the core parser (errors name the field), writes through
the services (editing a rule's definition adds a version), and read-only logs."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from hallops.core.modes import DEFAULT_CONFIG, RuleError, parse_mode_config
from hallops.rules.models import ModeChange, ModeConfig, ProcessState, Rule, RuleFiring, RuleVersion
from hallops.rules.selectors import rule_parse
from hallops.rules.services import mode_config_set, rule_create, rule_revise, rule_update

EXAMPLE_RULE = {
    "format": 1,
    "conditions": [{"type": "mode", "modes": ["busy", "peak"]}],
    "actions": [{"type": "enable_preacceptance", "services": ["new_subscriber"]}],
}


def _error(exc: RuleError) -> forms.ValidationError:
    return forms.ValidationError(
        _("%(path)s: %(message)s"), params={"path": exc.path or "—", "message": exc.message}, code="invalid_rule"
    )


class _JSON(forms.JSONField):
    """A JSON text area that keeps Chinese readable and indents the document."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2)


class RuleForm(forms.ModelForm):
    definition = _JSON(
        label=_("definition"),
        widget=forms.Textarea(attrs={"rows": 18, "cols": 100, "style": "font-family: monospace"}),
        help_text=_("The rule in the format of docs/rules.md. Saving a changed definition adds a new version."),
    )
    note = forms.CharField(label=_("note on this version"), max_length=200, required=False)

    class Meta:
        model = Rule
        fields = ("hall", "name", "enabled", "order")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.current_id:
            self.fields["definition"].initial = self.instance.current.definition  # type: ignore[union-attr]
        else:
            self.fields["definition"].initial = EXAMPLE_RULE

    def clean_definition(self) -> Any:
        definition = self.cleaned_data["definition"]
        try:
            return rule_parse(definition).to_json()
        except RuleError as exc:
            raise _error(exc) from None


class RuleVersionInline(admin.TabularInline):
    model = RuleVersion
    extra = 0
    can_delete = False
    fields = ("number", "created_at", "created_by", "note", "definition_text")
    readonly_fields = fields
    ordering = ("-number",)

    @admin.display(description=_("definition"))
    def definition_text(self, obj: RuleVersion) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.definition, ensure_ascii=False, indent=1))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    form = RuleForm
    list_display = ("name", "hall", "enabled", "order", "version")
    list_filter = ("hall", "enabled")
    search_fields = ("name",)
    inlines = [RuleVersionInline]

    @admin.display(description=_("version"))
    def version(self, obj: Rule) -> str:
        return f"v{obj.current.number}" if obj.current else "—"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("hall",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Rule, form: Any, change: bool) -> None:
        definition = form.cleaned_data["definition"]
        note = form.cleaned_data.get("note", "")
        if not change:
            rule = rule_create(
                hall=obj.hall,
                name=obj.name,
                definition=definition,
                user=request.user,
                enabled=obj.enabled,
                order=obj.order,
                note=note,
            )
            obj.pk, obj.current, obj.created_at = rule.pk, rule.current, rule.created_at
            obj._state.adding = False
            return
        stored = Rule.objects.get(pk=obj.pk)
        rule_update(rule=stored, user=request.user, name=obj.name, enabled=obj.enabled, order=obj.order)
        rule_revise(rule=stored, definition=definition, user=request.user, note=note)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A rule that fired is kept with its versions (the firing log references them); switch it off instead.
        if obj is not None and RuleFiring.objects.filter(version__rule=obj).exists():
            return False
        return super().has_delete_permission(request, obj)


class ModeConfigForm(forms.ModelForm):
    config = _JSON(
        label=_("configuration"),
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100, "style": "font-family: monospace"}),
        help_text=_("Thresholds per mode, dwell time, scheduled windows and calendar (docs/rules.md)."),
    )

    class Meta:
        model = ModeConfig
        fields = ("hall", "enabled", "config")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["config"].initial = DEFAULT_CONFIG

    def clean_config(self) -> Any:
        config = self.cleaned_data["config"]
        try:
            parse_mode_config(config)
        except RuleError as exc:
            raise _error(exc) from None
        return config


@admin.register(ModeConfig)
class ModeConfigAdmin(admin.ModelAdmin):
    form = ModeConfigForm
    list_display = ("hall", "enabled", "updated_at", "updated_by")
    readonly_fields = ("updated_at", "updated_by")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("hall", "updated_at", "updated_by") if obj is not None else ("updated_at", "updated_by")

    def save_model(self, request: HttpRequest, obj: ModeConfig, form: Any, change: bool) -> None:
        row = mode_config_set(hall=obj.hall, config=obj.config, enabled=obj.enabled, user=request.user)
        obj.pk, obj.updated_at, obj.updated_by = row.pk, row.updated_at, row.updated_by
        obj._state.adding = False


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RuleFiring)
class RuleFiringAdmin(_ReadOnly):
    list_display = ("started_at", "ended_at", "hall", "version")
    list_filter = ("hall",)
    ordering = ("-started_at", "-id")


@admin.register(ModeChange)
class ModeChangeAdmin(_ReadOnly):
    list_display = ("at", "hall", "from_mode", "to_mode", "reason")
    list_filter = ("hall", "to_mode")
    ordering = ("-at", "-id")


@admin.register(ProcessState)
class ProcessStateAdmin(_ReadOnly):
    list_display = ("hall", "mode", "since", "changed_at")

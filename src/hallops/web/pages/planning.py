"""The planning page and the what-if page (``planning.manage``: hall managers and administrators).

Planning (``/hall/<code>/planning/?day=``): the day's stored plan (the nightly job makes tomorrow's): forecast
against actual, the requirement per half hour and zone, the roster as a Gantt chart, the gaps; "re-plan" makes
a new plan now (``planning.services.plan_for_day``).

What-if (``/hall/<code>/planning/what-if/``): the plan's settings in a form (counters per half hour,
pre-acceptance on/off and hours, kiosk assistants, the share sent to the kiosks, service times); a run is
stored and simulated by the worker (``planning.tasks.run_whatif``), so the page never waits: the run's panel
polls its state (htmx, every second) until the result is in, side by side with the plan.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hallops.core.roles import Action
from hallops.errors import DomainError, NotFound
from hallops.hall.selectors import hall_local_day
from hallops.planning import selectors
from hallops.planning.models import Plan, PlanSource, RunPreset, RunState, WhatIfRun
from hallops.planning.scenario import Baseline, baseline_of
from hallops.planning.services import MAX_REPLICATIONS, WhatIfChanges, plan_for_day, whatif_start
from hallops.web.access import Page, hall_page
from hallops.web.pages.planning_selectors import (
    DAY_KINDS,
    forecast_accuracy,
    gantt_legend,
    plan_charts,
    plan_gaps,
    plan_summary,
    requirement_rows,
    run_hours,
    run_rows,
    side_labels,
    whatif_initial,
)
from hallops.web.render import render_page, render_partial

#: a queued run not picked up after this many seconds: the page says the worker may not be running
WORKER_HINT_SECONDS = 20
MAX_CLERKS = 20


def _minutes(label: str) -> int:
    hours, minutes = (int(x) for x in label.split(":"))
    return hours * 60 + minutes


def _today(page: Page) -> dt.date:
    return hall_local_day(page.hall, timezone.now())


def _day(raw: str | None, default: dt.date) -> dt.date | None:
    """The ``day`` of the query (default when empty), None when it is not a date."""
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _planning_url(page: Page, day: dt.date) -> str:
    return f"/hall/{page.hall.code}/planning/?{urlencode({'day': day.isoformat()})}"


def _planning_context(page: Page, day: dt.date, today: dt.date) -> dict[str, Any]:
    plan = selectors.latest_plan(page.hall, day)
    days = selectors.planned_days(page.hall, day)
    context: dict[str, Any] = {
        "day": day,
        "today": today,
        "plan": plan,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "planned_days": [{"day": d, "url": _planning_url(page, d), "current": d == day} for d in days],
        "whatif_url": f"/hall/{page.hall.code}/planning/what-if/?{urlencode({'day': day.isoformat()})}",
    }
    if plan is not None:
        context.update(
            cards=plan_summary(plan),
            day_kind=DAY_KINDS.get(plan.data["forecast"]["kind"], plan.data["forecast"]["kind"]),
            accuracy=forecast_accuracy(plan),
            charts=plan_charts(page.hall, plan, today),
            gaps=plan_gaps(plan),
            rows=requirement_rows(plan),
            notes=plan.data.get("notes", []),
            roster=plan.data.get("roster"),
            legend=gantt_legend(),
        )
    return context


@require_GET
@hall_page(Action.PLANNING_MANAGE)
def planning(request: HttpRequest, page: Page) -> HttpResponse:
    today = _today(page)
    day = _day(request.GET.get("day"), today + dt.timedelta(days=1))
    if day is None:
        context = _planning_context(page, today + dt.timedelta(days=1), today)
        context["error"] = {"field": "day", "message": _("must be a date YYYY-MM-DD")}
        return render_page(request, "web/planning/planning.html", page, context, status=400)
    return render_page(request, "web/planning/planning.html", page, _planning_context(page, day, today))


@require_POST
@hall_page(Action.PLANNING_MANAGE)
def replan(request: HttpRequest, page: Page) -> HttpResponse:
    """Make the day's plan again now (synchronously: about a second for a demo hall)."""
    today = _today(page)
    day = _day(request.POST.get("day"), today + dt.timedelta(days=1))
    error: dict[str, str] | None = None
    status = 200
    if day is None:
        error, status = {"field": "day", "message": _("must be a date YYYY-MM-DD")}, 400
    else:
        try:
            plan_for_day(hall=page.hall, day=day, actor=page.actor, source=PlanSource.MANUAL)
        except DomainError as exc:
            error, status = {"field": exc.field or "", "message": exc.message}, exc.status
        else:
            return HttpResponseRedirect(_planning_url(page, day), status=303)
    context = _planning_context(page, day or today + dt.timedelta(days=1), today)
    context["error"] = error
    return render_page(request, "web/planning/planning.html", page, context, status=status)


# ------------------------------------------------------------------------------------------------- what-if


class WhatIfForm(forms.Form):
    """The plan's settings, to change. Per half hour: counters open; pre-acceptance: on/off, hours, clerks."""

    preset = forms.ChoiceField(choices=RunPreset.choices, widget=forms.RadioSelect)
    pre_on = forms.BooleanField(required=False, label=gettext_lazy("Pre-acceptance on"))
    pre_start = forms.ChoiceField(label=gettext_lazy("from"))
    pre_end = forms.ChoiceField(label=gettext_lazy("to"))
    pre_clerks = forms.IntegerField(min_value=1, max_value=MAX_CLERKS, label=gettext_lazy("clerks on duty"))
    assistants = forms.IntegerField(min_value=0, max_value=MAX_CLERKS, label=gettext_lazy("Kiosk assistants on duty"))
    kiosk_share = forms.FloatField(
        min_value=0, max_value=95, label=gettext_lazy("Customers of kiosk-capable business sent to the kiosks (%)")
    )
    replications = forms.IntegerField(min_value=2, max_value=MAX_REPLICATIONS, label=gettext_lazy("Replications"))
    seed = forms.IntegerField(min_value=0, max_value=999_999, label=gettext_lazy("Seed"))

    def __init__(self, *args: Any, baseline: Baseline, names: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.baseline = baseline
        labels = list(baseline.labels)
        closes = _minutes(labels[0]) + 30 * len(labels)
        ends = [*labels[1:], f"{closes // 60:02d}:{closes % 60:02d}"]
        self.fields["pre_start"].choices = [(x, x) for x in labels]
        self.fields["pre_end"].choices = [(x, x) for x in ends]
        self.slot_fields = []
        for j, label in enumerate(labels):
            name = f"counters_{j}"
            self.fields[name] = forms.IntegerField(min_value=0, max_value=baseline.max_counters, label=label)
            self.slot_fields.append(name)
        self.service_fields = []
        for code in baseline.service_minutes:
            name = f"svc_{code}"
            self.fields[name] = forms.FloatField(min_value=0.1, max_value=120, label=names.get(code, code))
            self.service_fields.append(name)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("pre_start"), data.get("pre_end")
        if data.get("pre_on") and start and end and _minutes(end) <= _minutes(start):
            self.add_error("pre_end", _("must be after the start"))
        if all(data.get(name) == 0 for name in self.slot_fields):
            self.add_error(self.slot_fields[0], _("open at least one counter in some half hour"))
        return data

    def slot_rows(self) -> list[forms.BoundField]:
        return [self[name] for name in self.slot_fields]

    def service_rows(self) -> list[forms.BoundField]:
        return [self[name] for name in self.service_fields]

    def changes(self, initial: dict[str, Any]) -> WhatIfChanges:
        """The cleaned values that differ from the plan's (the others stay exactly as planned)."""
        data = self.cleaned_data
        b = self.baseline
        counters = tuple(int(data[name]) for name in self.slot_fields)
        pre_keys = ("pre_on", "pre_start", "pre_end", "pre_clerks")
        clerks: tuple[int, ...] | None = None
        if any(data[k] != initial[k] for k in pre_keys):
            if data["pre_on"]:
                start, end = _minutes(data["pre_start"]), _minutes(data["pre_end"])
                clerks = tuple(data["pre_clerks"] if start <= _minutes(label) < end else 0 for label in b.labels)
            else:
                clerks = (0,) * len(b.labels)
        minutes = {
            name.removeprefix("svc_"): float(data[name])
            for name in self.service_fields
            if abs(float(data[name]) - float(initial[name])) > 1e-9
        }
        return WhatIfChanges(
            counters=counters if counters != b.counters else None,
            clerks=clerks,
            assistants=(data["assistants"],) * len(b.labels) if data["assistants"] != initial["assistants"] else None,
            kiosk_share=data["kiosk_share"] / 100.0
            if abs(data["kiosk_share"] - initial["kiosk_share"]) > 1e-9
            else None,
            service_minutes=minutes or None,
        )


def _service_names() -> dict[str, str]:
    from django.utils.translation import get_language

    english = (get_language() or "").startswith("en")
    return {t.code: (t.name_en if english else t.name_zh) for t in selectors.catalog_types()}


def _whatif_plan(page: Page, request: HttpRequest, today: dt.date) -> tuple[dt.date, Plan | None]:
    raw = request.GET.get("day")
    if raw:
        day = _day(raw, today)
        if day is None:
            raise Http404("no such day")
        return day, selectors.latest_plan(page.hall, day)
    for day in (today, today + dt.timedelta(days=1)):
        plan = selectors.latest_plan(page.hall, day)
        if plan is not None:
            return day, plan
    return today + dt.timedelta(days=1), None


def _run_context(page: Page, run: WhatIfRun) -> dict[str, Any]:
    a_label, b_label = side_labels(run)
    waited = (timezone.now() - run.created_at).total_seconds()
    return {
        "run": run,
        "a_label": a_label,
        "b_label": b_label,
        "rows": run_rows(run) if run.state == RunState.DONE else [],
        "hours": run_hours(run) if run.state == RunState.DONE else [],
        "percent": round(100 * run.done / run.total) if run.total else 0,
        "worker_hint": run.state == RunState.QUEUED and waited > WORKER_HINT_SECONDS,
        "panel_url": f"/hall/{page.hall.code}/planning/what-if/{run.pk}/",
    }


@require_http_methods(["GET", "POST"])
@hall_page(Action.PLANNING_MANAGE)
def whatif(request: HttpRequest, page: Page) -> HttpResponse:
    today = _today(page)
    if request.method == "POST":
        plan = (
            Plan.objects.filter(hall=page.hall, pk=request.POST.get("plan") or 0).first()
            if ((request.POST.get("plan") or "").isdigit())
            else None
        )
        if plan is None:
            raise Http404("plan not found")
        day = plan.day
    else:
        day, plan = _whatif_plan(page, request, today)
    context: dict[str, Any] = {"day": day, "plan": plan, "planning_url": _planning_url(page, day)}
    if plan is None:
        return render_page(request, "web/planning/whatif.html", page, context)
    baseline = baseline_of(plan.data["scenario"])
    initial = whatif_initial(plan)
    names = _service_names()
    status = 200
    if request.method == "POST":
        form = WhatIfForm(request.POST, baseline=baseline, names=names)
        if form.is_valid():
            try:
                run = whatif_start(
                    actor=page.actor,
                    hall=page.hall,
                    plan=plan,
                    changes=form.changes(initial),
                    preset=form.cleaned_data["preset"],
                    replications=form.cleaned_data["replications"],
                    seed=form.cleaned_data["seed"],
                )
            except DomainError as exc:
                field = exc.field if exc.field in form.fields else None
                form.add_error(field, exc.message)
            else:
                query = urlencode({"day": day.isoformat(), "run": run.pk})
                return HttpResponseRedirect(f"/hall/{page.hall.code}/planning/what-if/?{query}", status=303)
        status = 422
    else:
        form = WhatIfForm(initial=initial, baseline=baseline, names=names)
    run_id = request.GET.get("run")
    if run_id:
        if not run_id.isdigit():
            raise Http404("what-if run not found")
        try:
            context.update(_run_context(page, selectors.whatif_run(page.hall, int(run_id))))
        except NotFound:
            raise Http404("what-if run not found") from None
    context.update(
        form=form,
        baseline=baseline,
        runs=selectors.recent_runs(page.hall),
        slot_pairs=list(zip(baseline.labels, baseline.counters, strict=True)),
    )
    return render_page(request, "web/planning/whatif.html", page, context, status=status)


@require_GET
@hall_page(Action.PLANNING_MANAGE)
def whatif_panel(request: HttpRequest, page: Page, run_id: int) -> HttpResponse:
    """A run's panel (htmx fragment): its progress while it runs (the fragment polls itself), then the result."""
    try:
        run = selectors.whatif_run(page.hall, run_id)
    except NotFound:
        raise Http404("what-if run not found") from None
    response = render_partial(request, "web/planning/_run.html", page, _run_context(page, run))
    response["Cache-Control"] = "no-store"
    return response


__all__ = ["planning", "replan", "whatif", "whatif_panel"]

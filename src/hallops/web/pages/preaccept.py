"""The pre-acceptance tablet, /hall/<code>/preaccept/: fill the customer's pre-order while they wait.

The waiting list refreshes live. Each field is checked when it changes (an htmx POST to ``validate/`` that runs
the core's validators and answers the field with its error); saving runs every check again, then
``hall.services.preorder_save`` with the version the tablet read (one editor at a time, refused when the
pre-order changed since it was opened, read-only once the ticket is called).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from hallops.core.identity import IdType, validate_id
from hallops.core.roles import Action
from hallops.core.states import PreOrderState, TicketState
from hallops.errors import DomainError, Invalid
from hallops.hall import services
from hallops.hall.models import PreOrder, Ticket
from hallops.web.access import Page, hall_page
from hallops.web.pages.counter_selectors import iso
from hallops.web.pages.preaccept_selectors import (
    DOCUMENT_LABELS,
    ID_TYPE_LABELS,
    preaccept_ticket,
    preaccept_waiting,
    preorder_view,
    ticket_pre_order,
)
from hallops.web.render import render_page, render_partial

ID_ERRORS = {
    "empty": gettext_lazy("Enter the document number."),
    "length": gettext_lazy("The number has the wrong length for this document."),
    "format": gettext_lazy("The number has the wrong format for this document."),
    "checksum": gettext_lazy("The check digit does not match: check the number again."),
    "birth_date": gettext_lazy("The date of birth in the number is not possible."),
}
SAVE_ERRORS = {
    "being_edited": gettext_lazy("Another clerk is editing this pre-order. Try again in a few minutes."),
    "stale_version": gettext_lazy(
        "This pre-order was changed since you opened it. Reload it to see the latest version before saving."
    ),
    "ticket_called": gettext_lazy("The ticket has been called: the pre-order is now read-only."),
    "illegal_transition": gettext_lazy("The pre-order can no longer be changed."),
}
FIELDS = ("customer_name", "id_type", "id_number", "phone", "products", "documents", "notes")
MAX_PRODUCTS = 50


class PreOrderForm(forms.Form):
    """The pre-order as the clerk types it; the same checks as the service, all reported at once."""

    customer_name = forms.CharField(label=gettext_lazy("Customer name"), max_length=60, required=False)
    id_type = forms.ChoiceField(label=gettext_lazy("ID document"), required=False)
    id_number = forms.CharField(label=gettext_lazy("Document number"), max_length=30, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False)
    products = forms.CharField(
        label=gettext_lazy("Products / plan (one per line)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    documents = forms.MultipleChoiceField(
        label=gettext_lazy("Documents checked"), required=False, widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, validate_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        id_choices = [("", "—"), *((t.value, str(ID_TYPE_LABELS[t.value])) for t in IdType)]
        self.fields["id_type"].choices = id_choices  # type: ignore[attr-defined]
        self.fields["documents"].choices = [(k, str(v)) for k, v in DOCUMENT_LABELS.items()]  # type: ignore[attr-defined]
        for name in FIELDS:
            # The document type changes what a valid number is: it re-checks the number.
            target = "id_number" if name == "id_type" else name
            self.fields[name].widget.attrs.update(
                {
                    "hx-post": validate_url,
                    "hx-trigger": "change",
                    "hx-target": f"#field-{target}",
                    "hx-swap": "outerHTML",
                    "hx-include": "closest form",
                    "hx-vals": f'{{"field": "{target}"}}',
                    "hx-sync": f"#field-{target}:replace",  # only the latest check of a field counts
                }
            )

    def clean_customer_name(self) -> str:
        return str(self.cleaned_data.get("customer_name") or "").strip()

    def clean_phone(self) -> str:
        raw = str(self.cleaned_data.get("phone") or "")
        try:
            return services.normalize_phone(raw)
        except Invalid:
            raise forms.ValidationError(_("Not a valid mainland or international phone number.")) from None

    def clean_products(self) -> list[str]:
        raw = str(self.cleaned_data.get("products") or "")
        items = [line.strip() for line in raw.splitlines() if line.strip()]
        if len(items) > MAX_PRODUCTS:
            raise forms.ValidationError(_("At most %(n)s products.") % {"n": MAX_PRODUCTS})
        return items

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        id_type, number = data.get("id_type") or "", (data.get("id_number") or "").strip()
        if number and not id_type:
            self.add_error("id_number", _("Choose the document type first."))
        elif id_type and number:
            check = validate_id(IdType(id_type), number, today=timezone.localdate())
            if not check.ok:
                self.add_error("id_number", str(ID_ERRORS.get(check.error or "", _("Not a valid document number."))))
            else:
                data["id_number"] = check.normalized
        for text_field in ("customer_name", "id_number", "notes"):
            if "\x00" in str(data.get(text_field) or ""):
                self.add_error(text_field, _("Remove the invalid character."))
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data.get(name) or ([] if name in ("products", "documents") else "") for name in FIELDS}


def _base(page: Page) -> str:
    return f"/hall/{page.hall.code}/preaccept/"


def _ticket(page: Page, ticket_id: int) -> Ticket:
    ticket = preaccept_ticket(hall=page.hall, ticket_id=ticket_id)
    if ticket is None or not ticket.service.pre_acceptance:
        raise Http404("ticket not found")
    return ticket


def _initial(pre: PreOrder | None) -> dict[str, Any]:
    if pre is None:
        return {"version": 0}
    return {
        "customer_name": pre.customer_name,
        "id_type": pre.id_type,
        "id_number": pre.id_number,
        "phone": pre.phone,
        "products": "\n".join(pre.products),
        "documents": pre.documents,
        "notes": pre.notes,
        "version": pre.version,
    }


def _editor_context(page: Page, ticket: Ticket, *, form: PreOrderForm | None = None, **extra: Any) -> dict[str, Any]:
    now = timezone.now()
    pre = ticket_pre_order(ticket=ticket)
    locked_by = None
    if (
        pre is not None
        and pre.editor_id not in (None, page.actor.user_id)
        and pre.editor_until
        and pre.editor_until > now
    ):
        locked_by = pre.editor.get_username() if pre.editor else "?"
    may_see = page.actor.can(page.hall.pk, Action.CUSTOMER_VIEW_PII)
    editable = ticket.status == TicketState.WAITING and locked_by is None and may_see
    if pre is not None and pre.state not in (PreOrderState.DRAFT, PreOrderState.READY):
        editable = False
    validate_url = f"{_base(page)}{ticket.pk}/validate/"
    if form is None:
        form = PreOrderForm(initial=_initial(pre), validate_url=validate_url)
    return {
        "ticket": ticket,
        "service": ticket.service.label,
        "issued_iso": iso(ticket.issued_at),
        "pre": preorder_view(pre, revealed=may_see) if pre is not None else None,
        "form": form,
        "editable": editable,
        "locked_by": locked_by,
        "locked_until": pre.editor_until if locked_by and pre else None,
        "base": _base(page),
        "wait_target_seconds": page.hall.wait_target_minutes * 60,
        **extra,
    }


def _editor(request: HttpRequest, page: Page, ticket: Ticket, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = _editor_context(page, ticket, **extra)
    if request.headers.get("HX-Request"):
        return render_partial(request, "web/preaccept/_editor.html", page, context, status=status)
    return render_page(
        request, "web/preaccept/page.html", page, {**_list_context(page, ticket.pk), **context}, status=status
    )


def _list_context(page: Page, selected: int | None) -> dict[str, Any]:
    return {
        "waiting": preaccept_waiting(hall=page.hall, at=timezone.now(), viewer_id=page.actor.user_id),
        "selected": selected,
        "base": _base(page),
        "wait_target_seconds": page.hall.wait_target_minutes * 60,
    }


def _selected_from(request: HttpRequest) -> int | None:
    """The ticket open in the editor, from the page's address (htmx sends it with each request)."""
    match = re.search(r"/preaccept/(\d{1,18})/", request.headers.get("HX-Current-URL", ""))
    return int(match.group(1)) if match else None


@require_GET
@hall_page(Action.PREORDER_EDIT)
def preaccept_page(request: HttpRequest, page: Page) -> HttpResponse:
    return render_page(request, "web/preaccept/page.html", page, _list_context(page, None))


@require_GET
@hall_page(Action.PREORDER_EDIT)
def preaccept_list(request: HttpRequest, page: Page) -> HttpResponse:
    return render_partial(request, "web/preaccept/_list.html", page, _list_context(page, _selected_from(request)))


@require_GET
@hall_page(Action.PREORDER_EDIT)
def preaccept_open(request: HttpRequest, page: Page, ticket_id: int) -> HttpResponse:
    """Open a ticket's pre-order; showing its phone and ID to the clerk is a view of personal data (audited)."""
    ticket = _ticket(page, ticket_id)
    pre = ticket_pre_order(ticket=ticket)
    if pre is not None and not request.GET.get("refresh"):  # a live reload re-shows what was already opened
        services.preorder_reveal(actor=page.actor, pre_order=pre)
    return _editor(request, page, ticket)


@require_POST
@hall_page(Action.PREORDER_EDIT)
def preaccept_validate(request: HttpRequest, page: Page, ticket_id: int) -> HttpResponse:
    """Check the form and answer one field (``field``) with its error, if any. Writes nothing."""
    ticket = _ticket(page, ticket_id)
    name = request.POST.get("field", "")
    if name not in FIELDS:
        raise Http404("no such field")
    form = PreOrderForm(request.POST, validate_url=f"{_base(page)}{ticket.pk}/validate/")
    form.is_valid()
    return render_partial(request, "web/preaccept/_field.html", page, {"field": form[name]})


@require_POST
@hall_page(Action.PREORDER_EDIT)
def preaccept_save(request: HttpRequest, page: Page, ticket_id: int) -> HttpResponse:
    ticket = _ticket(page, ticket_id)
    form = PreOrderForm(request.POST, validate_url=f"{_base(page)}{ticket.pk}/validate/")
    state = request.POST.get("state") or None
    if state not in (None, PreOrderState.DRAFT.value, PreOrderState.READY.value):
        state = None
    if not form.is_valid():
        return _editor(request, page, ticket, form=form, status=422, error=_("Correct the marked fields."))
    try:
        pre = services.preorder_save(
            actor=page.actor,
            ticket_id=ticket.pk,
            expected_version=form.cleaned_data["version"],
            data=form.service_data(),
            state=state,
        )
    except DomainError as exc:
        message = SAVE_ERRORS.get(exc.code)
        if message is None and exc.field in FIELDS:
            form.add_error(exc.field, exc.message)
        ticket.refresh_from_db()
        return _editor(
            request,
            page,
            ticket,
            form=form,
            status=exc.status,
            error=str(message) if message is not None else exc.message,
            conflict=exc.code in ("stale_version", "being_edited"),
        )
    if pre.state == PreOrderState.READY:
        note = _("Marked ready: the counter sees it when it calls %(number)s.") % {"number": ticket.number}
    else:
        note = _("Saved as a draft.")
    return _editor(request, page, ticket, note=note)

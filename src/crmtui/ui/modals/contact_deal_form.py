"""The new-deal form of the contact detail screen: name, amount, months, pipeline, stage, close date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from textual import on
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Select

from crmtui.domain.formatting import format_date
from crmtui.domain.models import Account, Pipeline
from crmtui.ui.modals.contact_forms import ContactFormModal, FormError, form_row
from crmtui.ui.modals.dates import parse_date
from crmtui.ui.widgets.inputs import TextInput
from crmtui.ui.inert import plain


@dataclass(frozen=True)
class DealDraft:
    name: str
    amount: float
    months: int
    pipeline_id: str
    stage: int | None
    expected_close_date: dt.date | None


class DealModal(ContactFormModal[DealDraft]):
    DIALOG_ID = "deal-dialog"
    HINT = "Enter save · Tab next field · Enter on a list opens it · Esc cancel"

    def __init__(self, title: str, account: Account, today: dt.date, *, name: str = "") -> None:
        super().__init__(title)
        self.account = account
        self.today = today
        self.suggested_name = name

    def _pipeline(self, pipeline_id: object) -> Pipeline | None:
        return next((p for p in self.account.pipelines if p.id == pipeline_id), None)

    def _stage_options(self, pipeline_id: object) -> list[tuple[Content, int]]:
        pipeline = self._pipeline(pipeline_id)
        return [
            (plain(f"{s.label} ({s.stage}%)" if s.label else f"{s.stage}%"), s.stage) for s in (pipeline.stages if pipeline else [])
        ]

    def fields(self) -> Iterable[Widget]:
        pipelines = self.account.pipelines
        default = next((p for p in pipelines if p.default), pipelines[0] if pipelines else None)
        yield form_row("Name", TextInput(placeholder=self.suggested_name, id="deal-name", max_length=60, compact=True))
        yield form_row("Amount", TextInput(placeholder=f"{self.account.currency_symbol} per month", id="deal-amount", compact=True))
        yield form_row("Months", TextInput("1", id="deal-months", compact=True))
        if pipelines:
            yield form_row("Pipeline", Select([(plain(p.name), p.id) for p in pipelines], value=default.id if default else Select.NULL, allow_blank=False, id="deal-pipeline", compact=True))
            stages = self._stage_options(default.id if default else None)
            yield form_row("Stage", Select(stages, value=stages[0][1] if stages else Select.NULL, allow_blank=not stages, id="deal-stage", compact=True))
        close = format_date(self.today + dt.timedelta(days=30), self.account.date_format)
        yield form_row("Close by", TextInput(close, placeholder="expected close date", id="deal-close", compact=True))

    @on(Select.Changed, "#deal-pipeline")
    def _pipeline_changed(self, event: Select.Changed) -> None:
        stages = self._stage_options(event.value)
        stage = self.query_one("#deal-stage", Select)
        stage.set_options(stages)
        if stages:
            stage.value = stages[0][1]

    def result(self) -> DealDraft:
        name = self.value("deal-name")
        if not name:
            raise FormError("The deal needs a name", "deal-name")
        try:
            amount = float(self.value("deal-amount").replace(self.account.currency_symbol, "").replace(",", "") or 0)
        except ValueError:
            raise FormError("The amount is a number, like 1200 or 99.50", "deal-amount") from None
        if amount < 0:
            raise FormError("The amount cannot be negative", "deal-amount")
        months_text = self.value("deal-months") or "1"
        if not months_text.isdigit() or int(months_text) < 1:
            raise FormError("Months is a whole number, 1 or more", "deal-months")
        close = None
        if self.value("deal-close"):
            try:
                close = parse_date(self.value("deal-close"), self.account, self.today)
            except ValueError as exc:
                raise FormError(str(exc), "deal-close") from None
        pipeline_id, stage = "", None
        if self.account.pipelines:
            pipeline_id = str(self.query_one("#deal-pipeline", Select).value)
            value = self.query_one("#deal-stage", Select).value
            stage = value if isinstance(value, int) else None
        return DealDraft(name, amount, int(months_text), pipeline_id, stage, close)

"""Keys of the pipeline board that change deals: H/L (and shift+arrows), won, lost, edit; and Enter.

Every change goes through the PipelineService, which shows it at once and puts the deal back when
the server refuses; here it runs in a worker, counted in the header's "saving…", and failures turn
into notifications carrying the server's message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import on

from crmtui.backends.errors import BackendError
from crmtui.domain.models import Deal, DealStatus
from crmtui.service import CommandRefused, NothingToUndo, Session
from crmtui.service.pipeline import DealChanges, PipelineService
from crmtui.service.pipeline_board import Place
from crmtui.ui.modals.deal_edit import DealEditModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.base import CrmScreen
from crmtui.ui.widgets.deal_card import money
from crmtui.ui.widgets.pipeline_board import PipelineBoard
from crmtui.ui.failures import failure_title


class DealChangesMixin(CrmScreen[None]):
    """Mixed into the pipeline screen, which provides `service`, `session` and `board`."""

    service: PipelineService | None = None

    @property
    def session(self) -> Session:
        return self.app.session

    @property
    def board(self) -> PipelineBoard:
        return self.query_one("#pipeline-board", PipelineBoard)

    @property
    def selected_deal(self) -> Deal | None:
        return self.board.selected_deal

    def run_change(self, make: Callable[[], Awaitable[object]], *, success: str | None = None) -> None:
        """Run one change in a worker (it goes to the outbox); refusals become notifications."""

        async def guarded() -> None:
            try:
                await make()
            except CommandRefused as exc:
                self.notify(exc.user_message, title="Not possible", severity="warning")
                return
            except BackendError as exc:
                self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=8)
                return
            if success:
                self.notify(success, timeout=3)

        self.run_worker(guarded(), group="pipeline-change", exit_on_error=False)

    def _target(self) -> Deal | None:
        deal = self.selected_deal
        if deal is None:
            self.notify("No deal selected", severity="warning", timeout=3)
        return deal

    def _place(self, deal: Deal, place: Place, success: str | None = None) -> None:
        service = self.service
        assert service is not None
        self.run_change(lambda: service.move(deal.id, place), success=success)

    def action_move(self, direction: int) -> None:
        deal = self._target()
        if deal is None or self.service is None:
            return
        try:
            step = self.service.step(deal.id, direction)
        except CommandRefused as exc:
            self.notify(exc.user_message, severity="warning")
            return
        if step.reason or step.target is None:
            self.notify(step.reason, severity="warning", timeout=4)
            return
        if step.confirm:
            self._confirm_won(deal)
            return
        self._place(deal, step.target)

    def _won_message(self, deal: Deal) -> str:
        pipeline = self.service.pipeline(deal.pipeline_id) if self.service is not None else None
        text = f"Won: {deal.name} · {money(deal.value, self.session.account)}"
        if pipeline is not None and not pipeline.won_column_enabled:
            text += f" ({pipeline.name} shows no won column)"
        return text

    def _confirm_won(self, deal: Deal) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._place(deal, Place(DealStatus.WON), self._won_message(deal))

        question = f"{deal.name} is at the last stage. Mark it won?"
        self.app.push_screen(ConfirmModal("Mark won?", question, confirm_label="Won"), answered)

    def action_won(self) -> None:
        deal = self._target()
        if deal is None:
            return
        if deal.status is DealStatus.WON:
            self.notify("The deal is won already", timeout=3)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._place(deal, Place(DealStatus.WON), self._won_message(deal))

        question = f"Mark {deal.name} ({money(deal.value, self.session.account)}) won?"
        self.app.push_screen(ConfirmModal("Mark won?", question, confirm_label="Won"), answered)

    def action_undo(self) -> None:
        service = self.service
        if service is None:
            return

        async def undo() -> None:
            try:
                command = await service.undo()
            except NothingToUndo:
                self.notify("Nothing to undo on the board", severity="warning", timeout=3)
                return
            self.notify(f"Undone: {command.describe()}", timeout=3)

        self.run_change(undo)

    def action_lost(self) -> None:
        deal = self._target()
        if deal is None:
            return
        if deal.status is DealStatus.LOST:
            self.notify("The deal is lost already", timeout=3)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._place(deal, Place(DealStatus.LOST))

        question = f"Mark {deal.name} ({money(deal.value, self.session.account)}) lost?"
        self.app.push_screen(ConfirmModal("Mark lost?", question, confirm_label="Lost"), answered)

    def action_edit(self) -> None:
        deal = self._target()
        service, account = self.service, self.session.account
        pipeline = service.pipeline(deal.pipeline_id) if service is not None and deal is not None else None
        if deal is None or service is None or pipeline is None or account is None:
            return

        def saved(changes: DealChanges | None) -> None:
            if changes is None:
                return
            if not changes.model_fields_set:
                self.notify("Nothing changed", timeout=3)
                return
            self.run_change(lambda: service.edit(deal.id, changes))

        self.app.push_screen(DealEditModal(deal, pipeline, account, self.session.today()), saved)

    def action_open_contact(self) -> None:
        deal = self._target()
        if deal is not None:
            self._open_contact(deal)

    @on(PipelineBoard.Selected)
    def _double_clicked(self, event: PipelineBoard.Selected) -> None:
        self._open_contact(event.deal)

    def _open_contact(self, deal: Deal) -> None:
        if not deal.contact_id:
            self.notify("This deal has no contact", severity="warning", timeout=3)
            return
        self.app.open_contact(deal.contact_id)


"""Workflows and jobs (Crust), as the workflows and jobs screen shows them: the workflows, a page of
jobs (all, or those in one status), a job's log, and the two things a person does: run a workflow
and cancel a job (the screen asks first; both go to the server at once, never through the outbox:
a run is for now, and each run is a new job).

Whether the server has them at all is the backend's to say (the JOBS capability: the real server of
the spec's date answers "Not implemented", and then the screen says so, once).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from crmtui.backends.base import need
from crmtui.domain.capabilities import Capability
from crmtui.domain.jobs import Job, JobLogsPage, JobsPage, Workflow

if TYPE_CHECKING:
    from crmtui.service.session import Session

NOT_SERVED = (
    "This Crust server does not implement workflows and jobs (it answers \"Not implemented\", as the "
    "server of the API's date does): there is nothing to show here."
)
LOG_PAGE = 100


class JobsView:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def served(self) -> bool:
        return self.session.supports(Capability.JOBS)

    async def workflows(self) -> list[Workflow]:
        return await need(self.session.backend.features.workflows, "workflows").workflows()

    async def jobs(self, status: str | None = None) -> JobsPage:
        return await need(self.session.backend.features.jobs, "jobs").jobs(status=status, page=0, per_page=50)

    async def logs(self, job_id: str) -> JobLogsPage:
        """The job's whole log (page after page of the oldest first)."""
        api = need(self.session.backend.features.jobs, "jobs")
        first = await api.logs(job_id, page=0, per_page=LOG_PAGE)
        items, page = list(first.items), 0
        while len(items) < first.total and (page + 1) * LOG_PAGE < first.total:
            page += 1
            more = await api.logs(job_id, page=page, per_page=LOG_PAGE)
            if not more.items:
                break
            items.extend(more.items)
        return first.model_copy(update={"items": items})

    async def run(self, workflow_id: str, *, start_at: dt.datetime | None = None, params: dict[str, str] | None = None) -> Job:
        return await need(self.session.backend.features.jobs, "jobs").run(workflow_id, start_at=start_at, params=params)

    async def cancel(self, job_id: str) -> None:
        await need(self.session.backend.features.jobs, "jobs").cancel(job_id)

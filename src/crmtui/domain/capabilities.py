"""What a backend can do. The app shows the screens its backend supports; no screen asks which backend it is."""

from __future__ import annotations

from enum import Enum


class Capability(str, Enum):
    ACTION_STREAM = "action_stream"
    TEAM_STREAM = "team_stream"
    CONTACT_DETAIL = "contact_detail"
    PIPELINES = "pipelines"
    NOTIFICATIONS = "notifications"
    PROMOTE_SWAP = "promote_swap"
    UNDO_COMPLETION = "undo_completion"
    NOTES = "notes"
    CALLS = "calls"
    MEETINGS = "meetings"
    SALES_CYCLE = "sales_cycle"
    LEADS = "leads"
    FILES = "files"
    """Files attached to records: list, download, upload, rename, delete."""
    RATE_BUDGET = "rate_budget"
    """The backend's requests are governed by a rate window and a daily budget (the header shows the gauge)."""
    SEARCH = "search"
    """A search across kinds of record (Pipedrive's ItemSearch): the search screen."""
    TEAMS = "teams"
    """Teams of users and their members (Pipedrive's legacy teams): the teams screen."""
    GOALS = "goals"
    """Goals with their progress per period (Pipedrive's goals): the goals screen."""
    SAVED_FILTERS = "saved_filters"
    """Saved filters the app lists, makes, edits and deletes (Pipedrive's filters): the filters screen."""
    ACTIVITIES = "activities"
    """Activities (Pipedrive's calls, meetings, tasks...): the leads inbox orders by each lead's next
    activity, and a lead's detail names it. Optional: a server may lack them (then by close date)."""
    MODULES = "modules"
    """Modules (Crust): kinds of record with their fields, read and defined here."""
    RECORDS = "records"
    """Records of any module (Crust): listed, read, made, edited (whole-record), deleted."""
    CHARTS = "charts"
    PAGES = "pages"
    """Pages (Crust): a tree of pages whose blocks are record lists, charts, text...: the pages screen."""
    WORKFLOWS = "workflows"
    """Workflows (Crust): the lists of tasks a job runs. The real server of the spec's date answers them
    "Not implemented": then the backend does not claim them."""
    DIRECTORY = "directory"
    """Every contact of the account read page by page (and again by what changed since), kept here so
    that find anyone (`f`) searches the whole account offline."""
    JOBS = "jobs"
    """Jobs (Crust): runs of a workflow, followed while they run, cancelled: the workflows and jobs screen."""

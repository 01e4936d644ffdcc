"""The service layer's way to a backend's feature families: each accessor answers the family, or raises
`Unsupported` (a BackendError, shown like any other) when the backend does not provide it.

Screens never reach a family: they call the service objects, which call these.
"""

from __future__ import annotations

from crmtui.backends.base import (
    ActivitiesApi,
    ActionStreamApi,
    Backend,
    ContactsApi,
    DealsApi,
    FilesApi,
    FiltersApi,
    GoalsApi,
    HistoryApi,
    ItemSearch,
    LeadsApi,
    ModulesApi,
    NotificationsApi,
    RecordsApi,
    TeamsApi,
    TeamStreamApi,
    need,
)


def stream_api(backend: Backend) -> ActionStreamApi:
    return need(backend.features.action_stream, "action stream")


def team_api(backend: Backend) -> TeamStreamApi:
    return need(backend.features.team_stream, "team stream")


def contacts_api(backend: Backend) -> ContactsApi:
    return need(backend.features.contacts, "contacts")


def deals_api(backend: Backend) -> DealsApi:
    return need(backend.features.deals, "pipelines or deals")


def history_api(backend: Backend) -> HistoryApi:
    return need(backend.features.history, "notes, calls or meetings")


def notifications_api(backend: Backend) -> NotificationsApi:
    return need(backend.features.notifications, "notifications")


def leads_api(backend: Backend) -> LeadsApi:
    return need(backend.features.leads, "leads")


def search_api(backend: Backend) -> ItemSearch:
    return need(backend.features.search, "search")


def files_api(backend: Backend) -> FilesApi:
    return need(backend.features.files, "files")


def teams_api(backend: Backend) -> TeamsApi:
    return need(backend.features.teams, "teams")


def goals_api(backend: Backend) -> GoalsApi:
    return need(backend.features.goals, "goals")


def filters_api(backend: Backend) -> FiltersApi:
    return need(backend.features.filters, "saved filters")


def activities_api(backend: Backend) -> ActivitiesApi:
    return need(backend.features.activities, "activities")


def modules_api(backend: Backend) -> ModulesApi:
    return need(backend.features.modules, "modules")


def records_api(backend: Backend) -> RecordsApi:
    return need(backend.features.records, "records")

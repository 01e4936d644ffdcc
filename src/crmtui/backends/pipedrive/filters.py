"""Pipedrive's saved filters behind the `FiltersApi` family: the client's /filters calls, mapped to `Filter`.

The list (20 tokens) leaves the conditions out; one filter read (2 tokens) has them. Writes send the
conditions in the only shape the API takes (`FilterConditions.to_wire`); one filter is deleted with
DELETE /filters/{id}, several with one bulk DELETE /filters?ids=.
"""

from __future__ import annotations

from crmtui.backends.pipedrive import wire
from crmtui.backends.pipedrive.client import FILTER_TYPES, PipedriveClient
from crmtui.domain.filters import Filter, FilterConditions, FilterHelpers


def map_saved_filter(saved: wire.Filter) -> Filter:
    return Filter(
        id=saved.id, name=saved.name, type=saved.type or "leads", owner_id=saved.user_id or "",
        visible_to=saved.visible_to, active=saved.active_flag, add_time=saved.add_time, update_time=saved.update_time,
        conditions=FilterConditions.from_wire(saved.conditions) if saved.conditions is not None else None,
    )


def map_helpers(helpers: wire.FilterHelpers) -> FilterHelpers:
    return FilterHelpers(operators=helpers.operator_pairs(), relative_dates=helpers.relative_pairs())


class PipedriveFilters:
    """The `filters` family of a Pipedrive backend."""

    def __init__(self, client: PipedriveClient) -> None:
        self.client = client

    async def filters(self, *, type: str | None = None) -> list[Filter]:
        return [map_saved_filter(f) for f in await self.client.filters(type) if f.id and f.active_flag]

    async def filter(self, filter_id: str) -> Filter:
        return map_saved_filter(await self.client.filter(filter_id))

    async def helpers(self) -> FilterHelpers:
        return map_helpers(await self.client.filter_helpers())

    async def create_filter(self, name: str, type: str, conditions: FilterConditions) -> Filter:
        if type not in FILTER_TYPES:
            raise ValueError(f"unknown filter type {type!r}")
        body = {"name": name, "type": type, "conditions": conditions.to_wire()}
        return map_saved_filter(await self.client.create_filter(body))

    async def update_filter(self, filter_id: str, conditions: FilterConditions, *, name: str | None = None) -> Filter:
        body: dict[str, object] = {"conditions": conditions.to_wire()}
        if name is not None:
            body["name"] = name
        return map_saved_filter(await self.client.update_filter(filter_id, body))

    async def delete_filters(self, filter_ids: list[str]) -> None:
        if len(filter_ids) == 1:
            await self.client.delete_filter(filter_ids[0])
        elif filter_ids:
            await self.client.delete_filters(filter_ids)

"""Crust CRM behind the Backend protocol: calls the client, maps wire models to domain models.

It provides the `modules`, `records` and `charts` feature families. Pages, workflows and jobs come
later (the real server of the spec's date answers workflows and jobs "Not implemented").

Two quirks of the server shape this adapter (BACKENDS.md §2.2):
- reading one module or one record fails ("sql: no rows in result set") when the module has no
  record page, so a module falls back to the module list and a record to the module's record list
  (the adapter remembers which modules need it);
- an edit replaces the whole record (unsent fields lose their links, the owner becomes 0), so an
  edit always sends every field: the server's copy with the person's changes merged in, field by
  field (`merge_record`), guarded by `updatedAt`; a field that links records and reads back without
  its links (the real server never fills `related` on reads) is sent with the ids its value holds.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from crmtui.backends.base import Features, ProgressCallback, settled_capabilities
from crmtui.backends.crust import wire
from crmtui.backends.crust.client import MAX_PER_PAGE, CrustClient
from crmtui.backends.crust.token import NotAToken, TokenFacts, read_token
from crmtui.backends.crust.pages_jobs import CrustJobs, CrustPages, CrustWorkflows
from crmtui.backends.errors import BackendError, Unsupported
from crmtui.backends.errors import AuthError, Conflict, NotFound
from crmtui.domain.charts import COUNT, ChartData, ChartQuery, ChartSeries, parse_d_m_y
from crmtui.domain.capabilities import Capability
from crmtui.domain.models import Account, User
from crmtui.domain.records import (
    FieldKind,
    Module,
    ModuleField,
    Record,
    RecordsPage,
    RecordValue,
    merge_record,
)

LINK_KINDS = frozenset({"related", "related_multi"})
"""Field kinds whose value names other records (their ids, comma-separated)."""
_ID = re.compile(r"^\d{1,20}$")


def map_field(field: wire.ModuleField) -> ModuleField:
    return ModuleField(
        name=field.name, kind=field.kind or "text", label=field.label, help_text=field.help_text,
        default_value=field.default_value, max_length=max(0, field.max_length), options=field.options,
        is_private=field.is_private, is_required=field.is_required, is_visible=field.is_visible,
    )


def map_module(module: wire.Module) -> Module:
    return Module(
        id=module.module_id, name=module.name, fields=[map_field(f) for f in module.fields if f.name],
        created_at=module.created_at, updated_at=module.updated_at,
    )


def map_record(content: wire.Content, module_id: str = "") -> Record:
    values = {c.name: RecordValue(value=c.value, related=list(c.related)) for c in content.fields if c.name}
    user = content.user
    return Record(
        id=content.content_id, module_id=content.module_id or module_id,
        owner_id="" if content.user_id == "0" else content.user_id,
        owner_name=(user.name or user.username or user.email) if user is not None else "",
        values=values, created_at=content.created_at, updated_at=content.updated_at,
    )


def field_body(field: ModuleField) -> dict[str, Any]:
    """A ModuleField as POST /module/ takes it (the Go struct's JSON names)."""
    body: dict[str, Any] = {
        "kind": field.kind, "name": field.name, "label": field.label, "maxLength": field.max_length,
        "options": field.options, "isPrivate": field.is_private, "isRequired": field.is_required,
        "isVisible": field.is_visible,
    }
    if field.help_text:
        body["helpText"] = field.help_text
    if field.default_value:
        body["defaultValue"] = field.default_value
    return body


def linked_ids(value: str) -> list[str]:
    """The record ids a link field's value holds ("id" or "id,id,..."): digits only, in order, once each."""
    found: list[str] = []
    for part in value.split(","):
        part = part.strip()
        if _ID.match(part) and part not in found:
            found.append(part)
    return found


def columns(values: Mapping[str, RecordValue], module: Module | None) -> list[dict[str, Any]]:
    """A record's `fields` as the server takes them: every value, in the module's field order (the
    others after), each link field with its linked ids (taken from its value when the server read it
    back without them: otherwise the edit would drop the links)."""
    order = {f.name: n for n, f in enumerate(module.fields)} if module is not None else {}
    kinds = {f.name: f.kind for f in module.fields} if module is not None else {}
    out: list[dict[str, Any]] = []
    for name in sorted(values, key=lambda n: (order.get(n, len(order)), n)):
        value = values[name]
        related = list(value.related)
        if not related and kinds.get(name) in LINK_KINDS:
            related = linked_ids(value.value)
        column: dict[str, Any] = {"name": name, "value": value.value}
        if related:
            column["related"] = related
        out.append(column)
    return out


def _hint(values: Mapping[str, RecordValue]) -> str:
    """A value to narrow a record list by when looking for one record (its longest plain text value)."""
    plain = [v.value for v in values.values() if v.value and not v.related and len(v.value) >= 3]
    return max(plain, key=len) if plain else ""


def _like_escaped(text: str) -> str:
    """`text` as a literal inside the server's LIKE '%...%' (its wildcards escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _label(value: Any) -> str:
    """A chart's group label as text (a number without `.0`; a date as the server wrote it)."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value).lower()
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def _value(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def map_chart(chart: wire.Chart, query: ChartQuery, module: Module | None = None) -> ChartData:
    """The server's chart (either shape) as ChartData; `meta` ids are never read (float-rounded numbers)."""
    kind = chart.kind or query.kind
    field = module.field(query.dimension) if module is not None else None
    summed = module.field(query.sum_field) if module is not None and query.sum_field else None
    dimension = field.title if field is not None else query.dimension
    if kind == "line":
        head = chart.data[0] if chart.data else []
        dimension = _label(head[0]) if head else dimension
        categories = [_label(v) for v in head[1:]]
        series = [ChartSeries(label=_label(row[0]) if row else "", values=[_value(v) for v in row[1:]]) for row in chart.data[1:]]
    else:
        pairs = [row for row in chart.data if len(row) >= 2]
        categories = [_label(row[0]) for row in pairs]
        label = "Count" if query.metric == COUNT else (summed.title if summed is not None else query.sum_field)
        series = [ChartSeries(label=label, values=[_value(row[1]) for row in pairs])]
    facts = next((v for v in chart.fields.values() if isinstance(v, dict) and "kind" in v), {})
    x_kind = str(facts.get("kind", "")) if isinstance(facts, dict) else ""
    low = str(facts.get("min") or chart.meta.get("xmin") or "") if isinstance(facts, dict) else ""
    high = str(facts.get("max") or chart.meta.get("xmax") or "") if isinstance(facts, dict) else ""
    title = chart.meta.get("name")
    description = chart.meta.get("description")
    return ChartData(
        kind=kind, title=title if isinstance(title, str) and title else query.name,
        description=description if isinstance(description, str) else query.description,
        dimension=dimension, categories=categories, series=series,
        x_kind=x_kind if x_kind in ("datetime", "number") else "string",
        x_range=(parse_d_m_y(low), parse_d_m_y(high)),
    )


class CrustBackend:
    name = "crust"

    def __init__(self, client: CrustClient, jwt: str, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        """`jwt`: the client's token, read (never verified, never shown) for the user id and the expiry."""
        self.client = client
        self.address = client.base_url
        try:
            self.token: TokenFacts | None = read_token(jwt)
        except NotAToken:
            self.token = None  # the server refuses it, in its own words
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.account: Account | None = None
        self.features = Features(modules=self, records=self, charts=self)
        self.features = replace(self.features, pages=CrustPages(client), workflows=CrustWorkflows(client), jobs=CrustJobs(client))
        self.capabilities = settled_capabilities(self.features, frozenset())
        self._modules: dict[str, Module] = {}
        """The modules as last listed (their fields shape record writes; a module read falls back to them)."""
        self._listed_only: set[str] = set()
        """Modules whose records cannot be read one by one (no record page): found in their list instead."""

    # -- session -------------------------------------------------------------------------------

    def token_warning(self) -> str | None:
        """A line for the person when the token runs out within a day (None: not soon, or unknown)."""
        return self.token.warning(self._clock()) if self.token is not None else None

    async def connect(self) -> Account:
        if self.token is None:
            raise AuthError("The Crust token is not a JWT (three dot-separated parts): check CRUST_JWT or the profile")
        await self.modules()  # the CRM API has no "me": listing modules checks the token
        await self._check_jobs()
        host = urlsplit(self.address).hostname or self.address
        self.account = Account(
            user=User(id=self.token.subject),
            name=f"Crust · {host}",
            time_zone="UTC",
            capabilities=self.capabilities,
            credential_expires=self.token.expires,
        )
        return self.account

    async def _check_jobs(self) -> None:
        """Workflows and jobs are claimed only where the server serves them: the real server of the
        spec's date answers "Not implemented" (Unsupported), and then neither family is there. Any
        other failure of this one small read leaves them claimed (their screen says what went wrong)."""
        self.jobs_unsupported = ""
        try:
            await self.client._call("GET", "workflow/")
        except Unsupported as exc:
            self.jobs_unsupported = str(exc)
            self.features = replace(self.features, workflows=None, jobs=None)
            self.capabilities = self.capabilities - {Capability.WORKFLOWS, Capability.JOBS}
        except BackendError:
            pass

    async def close(self) -> None:
        await self.client.aclose()

    async def server_time(self) -> dt.datetime:
        now = self.client.http.server_now()
        if now is None:
            await self.client.field_types()  # a small answer whose Date header tells the server's clock
            now = self.client.http.server_now()
        return now or self._clock()

    # -- modules -------------------------------------------------------------------------------

    async def modules(self) -> list[Module]:
        found = [map_module(m) for m in await self.client.modules() if m.module_id]
        self._modules = {m.id: m for m in found}
        return found

    async def _module_known(self, module_id: str) -> Module | None:
        if module_id not in self._modules:
            try:
                await self.modules()
            except NotFound:
                return None
        return self._modules.get(module_id)

    async def module(self, module_id: str) -> Module:
        try:
            found = map_module(await self.client.module(module_id))
        except NotFound:
            # No record page (or no module): the list still has it when it exists.
            await self.modules()
            if module_id not in self._modules:
                raise
            return self._modules[module_id]
        self._modules[found.id] = found
        return found

    async def field_kinds(self) -> list[FieldKind]:
        return [FieldKind(kind=f.type, name=f.name) for f in await self.client.field_types() if f.type]

    async def create_module(self, name: str, fields: list[ModuleField]) -> Module:
        made = map_module(await self.client.create_module(name, [field_body(f) for f in fields]))
        self._modules[made.id] = made
        return made

    async def update_module(self, module_id: str, name: str, fields: list[ModuleField]) -> Module:
        changed = map_module(await self.client.update_module(module_id, name, [field_body(f) for f in fields]))
        self._modules[changed.id or module_id] = changed
        return changed

    async def delete_module(self, module_id: str) -> None:
        await self.client.delete_module(module_id)
        self._modules.pop(module_id, None)

    # -- records -------------------------------------------------------------------------------

    async def records(
        self, module_id: str, *, query: str = "", page: int = 0, per_page: int = 50, sort: str = "createdAt DESC"
    ) -> RecordsPage:
        answer = await self.client.records(module_id, query=query, page=page, per_page=per_page, sort=sort)
        return RecordsPage(
            items=[map_record(c, module_id) for c in answer.items if c.content_id], page=answer.page,
            per_page=answer.per_page, total=answer.total_count,
        )

    async def records_all(
        self,
        module_id: str,
        *,
        query: str = "",
        sort: str = "createdAt DESC",
        on_progress: ProgressCallback | None = None,
        on_first_page: Callable[[list[Record]], None] | None = None,
    ) -> list[Record]:
        def first(items: Sequence[wire.Content]) -> None:
            if on_first_page is not None:
                on_first_page([map_record(c, module_id) for c in items if c.content_id])

        items = await self.client.records_all(
            module_id, query=query, sort=sort, on_progress=on_progress, on_first=first if on_first_page else None
        )
        return [map_record(c, module_id) for c in items if c.content_id]

    async def _listed(self, module_id: str, record_id: str, hint: str = "") -> Record | None:
        """The record as the module's list has it (None: not there), narrowed by `hint` first when given."""
        for query in ([_like_escaped(hint)] if hint else []) + [""]:
            for item in await self.client.records_all(module_id, query=query, sort="id ASC", per_page=MAX_PER_PAGE):
                if item.content_id == record_id:
                    return map_record(item, module_id)
        return None

    async def _record(self, module_id: str, record_id: str, hint: str = "") -> Record:
        if module_id not in self._listed_only:
            try:
                found = map_record(await self.client.record(module_id, record_id), module_id)
            except NotFound:
                pass  # deleted, or its module has no record page: the list tells which
            else:
                if found.module_id and found.module_id != module_id:
                    raise NotFound(f"Record {record_id} is not in this module")
                return found
            listed = await self._listed(module_id, record_id, hint)
            if listed is None:
                raise NotFound("The record is not on the server: it may have been deleted")
            self._listed_only.add(module_id)
            return listed
        listed = await self._listed(module_id, record_id, hint)
        if listed is None:
            raise NotFound("The record is not on the server: it may have been deleted")
        return listed

    async def record(self, module_id: str, record_id: str) -> Record:
        return await self._record(module_id, record_id)

    async def create_record(self, module_id: str, values: dict[str, RecordValue]) -> Record:
        module = await self._module_known(module_id)
        return map_record(await self.client.create_record(module_id, columns(values, module)), module_id)

    async def replace_record(self, module_id: str, record_id: str, values: dict[str, RecordValue]) -> Record:
        module = await self._module_known(module_id)
        answer = map_record(await self.client.replace_record(module_id, record_id, columns(values, module)), module_id)
        return answer.model_copy(update={"id": answer.id or record_id})

    async def update_record(self, module_id: str, record_id: str, read: Record, changes: dict[str, RecordValue]) -> Record:
        server = await self._record(module_id, record_id, _hint(read.values))
        if read.updated_at is not None and server.updated_at == read.updated_at:
            merged = merge_record(server.values, changes, server.values)  # nobody else wrote since: no clash
        else:
            merged = merge_record(read.values, changes, server.values)
        if merged.clashes:
            raise Conflict(
                f"Someone changed this record meanwhile: {merged.describe()}",
                errors={name: theirs.value for name, (_read, _mine, theirs) in merged.clashes.items()},
            )
        return await self.replace_record(module_id, record_id, merged.values)

    async def delete_record(self, module_id: str, record_id: str) -> None:
        await self.client.delete_record(module_id, record_id)

    # -- charts --------------------------------------------------------------------------------

    async def chart(self, module_id: str, query: ChartQuery) -> ChartData:
        module = await self._module_known(module_id)
        answer = await self.client.chart(
            module_id, kind=query.kind, x_axis=query.axis, name=query.name, description=query.description,
            count="id" if query.metric == COUNT else "", sum=query.sum_field if query.metric != COUNT else "",
            x_min=query.x_min, x_max=query.x_max,
        )
        return map_chart(answer, query, module)

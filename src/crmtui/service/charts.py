"""The charts screen's service (Crust): which chart is shown, its data, the records behind a group,
and the chart definitions this profile keeps to reopen.

The API of the spec's date saves no charts, so the definitions live in `charts.json` beside the
profile's view state (`view.json`): module, dimension, metric, kind and range, never a credential.
A file that cannot be read is no saved charts, never a failed start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmtui.backends.base import ChartsApi, ModulesApi, RecordsApi, need
from crmtui.domain.charts import COUNT, DATE_KINDS, KINDS, NUMBER_KINDS, UNITS, ChartData, ChartDefinition, ChartQuery, in_group
from crmtui.domain.records import Module, Record
from crmtui.store.view_state import ViewState

if TYPE_CHECKING:
    from crmtui.service.session import Session

CHARTS_FILE = "charts.json"
SAVED_KEY = "charts"
MAX_SAVED = 50


def charts_api(session: Session) -> ChartsApi:
    return need(session.backend.features.charts, "charts")


def _modules_api(session: Session) -> ModulesApi:
    return need(session.backend.features.modules, "modules")


def _records_api(session: Session) -> RecordsApi:
    return need(session.backend.features.records, "records")


def default_query(module: Module) -> ChartQuery:
    """A first chart of a module: records counted by its first enum field (else its first field), as bars."""
    fields = module.fields
    first = next((f for f in fields if f.kind == "enum"), fields[0] if fields else None)
    return ChartQuery(kind="bar", dimension=first.name if first is not None else "")


class ChartsView:
    """What the charts screen shows: the modules, the chart asked for and its data."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.modules: list[Module] = []
        self.module: Module | None = None
        self.query = ChartQuery()
        self.data: ChartData | None = None
        self._memory: list[dict[str, Any]] | None = None
        """The saved definitions when the profile has no file to keep them in (tests, no profile)."""
        self.wanted: ChartDefinition | None = None
        """A chart asked for before the modules were read (a page's chart block): shown once they are."""

    # -- reading -------------------------------------------------------------------------------
    async def load_modules(self) -> list[Module]:
        self.modules = await _modules_api(self.session).modules()
        wanted, self.wanted = self.wanted, None
        if wanted is not None and self.open(wanted):
            return self.modules
        if self.module is None and self.modules:
            self.choose_module(self.modules[0].id)
        elif self.module is not None:
            self.module = next((m for m in self.modules if m.id == self.module.id), self.module)
        return self.modules

    def choose_module(self, module_id: str) -> None:
        found = next((m for m in self.modules if m.id == module_id), None)
        if found is None:
            return
        if self.module is None or self.module.id != found.id:
            self.module = found
            self.query = default_query(found)
            self.data = None

    async def load_chart(self) -> ChartData | None:
        """The chart of the module and query chosen (None: nothing chosen yet)."""
        if self.module is None or not self.query.dimension:
            self.data = None
            return None
        self.data = await charts_api(self.session).chart(self.module.id, self.query)
        return self.data

    async def records_behind(self, label: str) -> list[Record]:
        """The module's records in the group named `label` (the cached list offline), filtered here."""
        module = self.module
        if module is None:
            return []
        field = module.field(self.query.dimension)
        kind = field.kind if field is not None else "text"
        records = await _records_api(self.session).records_all(module.id)
        return [r for r in records if in_group(r.text(self.query.dimension), label, kind, self.query.unit)]

    # -- choosing ------------------------------------------------------------------------------
    def dimension_fields(self) -> list[tuple[str, str]]:
        """(name, title) of the fields a chart can group by (link fields hold ids: left out)."""
        module = self.module
        if module is None:
            return []
        return [(f.name, f.title) for f in module.fields if f.kind not in ("related", "related_multi", "textarea")]

    def sum_fields(self) -> list[tuple[str, str]]:
        module = self.module
        return [(f.name, f.title) for f in module.fields if f.kind in NUMBER_KINDS] if module is not None else []

    def is_date(self) -> bool:
        return self._date_field(self.query.dimension)

    def set_dimension(self, name: str) -> None:
        self.query = self.query.model_copy(update={"dimension": name, "unit": "month" if self._date_field(name) else ""})

    def _date_field(self, name: str) -> bool:
        field = self.module.field(name) if self.module is not None else None
        return field is not None and field.kind in DATE_KINDS

    def set_metric(self, sum_field: str | None) -> None:
        """Count records (None), or sum a number field."""
        update = {"metric": COUNT, "sum_field": ""} if sum_field is None else {"metric": "sum", "sum_field": sum_field}
        self.query = self.query.model_copy(update=update)

    def next_kind(self) -> str:
        kind = KINDS[(KINDS.index(self.query.kind) + 1) % len(KINDS)] if self.query.kind in KINDS else KINDS[0]
        self.query = self.query.model_copy(update={"kind": kind})
        return kind

    def next_unit(self) -> str:
        """A date dimension's next grouping (day, week, month, year)."""
        unit = self.query.unit or "day"
        unit = UNITS[(UNITS.index(unit) + 1) % len(UNITS)] if unit in UNITS else UNITS[0]
        self.query = self.query.model_copy(update={"unit": unit})
        return unit

    # -- saved definitions ---------------------------------------------------------------------
    def _file(self) -> ViewState | None:
        memory = self.session.filters.memory
        return ViewState(memory.path.with_name(CHARTS_FILE)) if isinstance(memory, ViewState) else None

    def _raw(self) -> list[dict[str, Any]]:
        store = self._file()
        raw = store.get(SAVED_KEY) if store is not None else self._memory
        return [r for r in raw if isinstance(r, dict)] if isinstance(raw, list) else []

    def saved(self) -> list[ChartDefinition]:
        found: list[ChartDefinition] = []
        for raw in self._raw():
            try:
                found.append(ChartDefinition.model_validate(raw))
            except ValueError:
                continue  # a damaged entry: left out, the others kept
        return found

    def _write(self, definitions: list[ChartDefinition]) -> None:
        raw = [d.model_dump(mode="json") for d in definitions[:MAX_SAVED]]
        store = self._file()
        if store is not None:
            store.set(SAVED_KEY, raw)
        else:
            self._memory = raw

    def save_current(self, name: str = "") -> ChartDefinition | None:
        """Keep the chart shown (replacing one of the same name and module); None when nothing is shown."""
        if self.module is None or not self.query.dimension:
            return None
        query = self.query.model_copy(update={"name": name or self.query.name})
        definition = ChartDefinition(module_id=self.module.id, module_name=self.module.name, query=query)
        kept = [d for d in self.saved() if (d.module_id, d.title) != (definition.module_id, definition.title)]
        self._write([definition, *kept])
        return definition

    def forget(self, definition: ChartDefinition) -> None:
        self._write([d for d in self.saved() if d != definition])

    def want(self, definition: ChartDefinition) -> bool:
        """Show `definition`: at once when the modules are known (False: its module is gone), else
        once they are read."""
        if self.modules:
            return self.open(definition)
        self.wanted = definition
        return True

    def open(self, definition: ChartDefinition) -> bool:
        """Show a saved chart (False when its module is gone)."""
        found = next((m for m in self.modules if m.id == definition.module_id), None)
        if found is None:
            return False
        self.module = found
        self.query = definition.query.model_copy()
        self.data = None
        return True

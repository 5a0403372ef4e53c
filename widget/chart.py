"""A result's chart in a notebook: a Vega-Lite spec with the frame's rows in it.

``chart(df)`` draws a DataFrame by the service's own rules (``quart_app.charts``):
the kind the service suggested for it (``df.attrs["chart"]``), or another the shape
offers (``kind="bar"``). The :class:`Chart` it returns renders through the Vega-Lite
MIME type, which JupyterLab, Notebook 7 and VS Code draw themselves, with no
internet and no server; a saved notebook keeps it. ``chart.spec`` is the spec as a
dict (``altair.Chart.from_dict(chart.spec)`` takes it).
"""

from __future__ import annotations

import copy
import math
from datetime import date, datetime
from typing import Any

import pandas as pd
from IPython.display import display

from quart_app import charts

from .progress import ProgressWidget

# JupyterLab's renderer draws SVG when asked (marks a test or a screen reader can
# find), and the action menu links to an online editor: left out.
EMBED_OPTIONS = {"renderer": "svg", "actions": False}
# A chart output keeps the frame's rows in the notebook: past this many, none is shown
# by itself (``chart(df)`` still draws one when asked).
SHOWN_ROWS = 20_000


class Chart:
    """A Vega-Lite chart with its data; shown as a chart in a notebook."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    @property
    def kind(self) -> str:
        return str(self.spec.get("usermeta", {}).get("kind", ""))

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.spec)

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        data = {charts.MIME_TYPE: self.spec, "text/plain": repr(self)}
        return data, {charts.MIME_TYPE: {"embed_options": EMBED_OPTIONS}}

    def __repr__(self) -> str:
        title = self.spec.get("title", {}).get("text", "")
        rows = len(self.spec.get("data", {}).get("values", []))
        return f"<Chart: {self.kind}, {title}, {rows:,} row{'' if rows == 1 else 's'}>"


def chart(frame: pd.DataFrame, kind: str | None = None) -> Chart:
    """``frame`` drawn as the service suggested (``frame.attrs["chart"]``), or by the same
    rules from its columns; ``kind`` (``"line"``, ``"bar"``, ``"scatter"``, ``"number"``)
    asks for another chart its shape offers. Raises ``ValueError`` when it has none."""
    names = [str(name) for name in frame.columns]
    roles = [_role(frame.iloc[:, position]) for position in range(frame.shape[1])]
    if kind is None:
        kind = (frame.attrs.get("chart") or {}).get("usermeta", {}).get("kind")
    columns = [_values(frame.iloc[:, position]) for position in range(frame.shape[1])]
    spec = charts.suggest(
        names, roles, columns, kind=kind, truncated=bool(frame.attrs.get("truncated"))
    )
    if spec is None:
        offered = [kind for kind in charts.kinds_for(roles, len(frame)) if kind != "table"]
        shape = ", ".join(f"{name} ({role})" for name, role in zip(names, roles, strict=True))
        raise ValueError(
            f"no {kind + ' ' if kind else ''}chart for columns {shape or 'none'}: "
            + (f"this frame offers {', '.join(offered)}" if offered else "none suits them")
        )
    rows = zip(*columns, strict=True) if columns else iter(())
    return Chart(charts.with_data(spec, charts.records(names, rows)))


def _role(series: pd.Series) -> charts.Role:
    if pd.api.types.is_bool_dtype(series.dtype):
        return "category"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return "time"
    present = series.dropna()
    if len(present) and all(isinstance(value, (list, dict, bytes)) for value in present):
        return "other"
    if len(present) and all(isinstance(value, date) for value in present):
        return "time"
    return "category"


def _values(series: pd.Series) -> list[Any]:
    """A column's values as JSON values, times as ISO text as the service sends them."""
    return [_jsonable(value) for value in series.tolist()]


def _jsonable(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    return value


def show_under(panel: ProgressWidget, frame: pd.DataFrame) -> None:
    """Show ``frame``'s chart under ``panel`` when the service suggested one, and let the
    panel's buttons switch it (they ask the kernel, which draws the other kind)."""
    if not frame.attrs.get("chart") or len(frame) > SHOWN_ROWS:
        return
    try:
        drawn = chart(frame)
    except ValueError:
        return  # as the frame holds them, the columns suit no chart after all
    handle = display(drawn, display_id=True)  # type: ignore[no-untyped-call]

    def switch(kind: str) -> None:
        if kind == "table":
            handle.update({"text/plain": ""}, raw=True)
        else:
            handle.update(chart(frame, kind))

    with panel.hold_sync():
        panel.chart_kinds = list(drawn.spec["usermeta"]["kinds"])
        panel.chart_kind = drawn.kind
    panel.on_chart_kind(switch)

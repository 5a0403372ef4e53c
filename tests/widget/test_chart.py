"""``widget.chart`` and the chart under a panel, in-process (no kernel: ``display``
prints the chart's plain-text form, which is what is checked)."""

from __future__ import annotations

import altair
import pandas as pd
import pytest

from widget import chart
from widget.chart import SHOWN_ROWS, show_under
from widget.client import to_dataframe
from widget.progress import ProgressWidget

MIME = "application/vnd.vegalite.v5+json"


def frame_of(rows: int) -> pd.DataFrame:
    """An execute result of ``rows`` statuses and counts, as the client makes it."""
    result = {
        "requestId": "r1",
        "sql": "SELECT status, n FROM t",
        "columns": [{"name": "status", "type": "text"}, {"name": "n", "type": "int8"}],
        "rows": [[f"s{index}", index] for index in range(rows)],
        "truncated": False,
        "chart": {"usermeta": {"kind": "bar", "kinds": ["bar", "line", "table"]}},
    }
    return to_dataframe(result)


def test_a_frame_is_drawn_as_suggested_or_as_asked() -> None:
    frame = frame_of(5)
    bars = chart(frame)
    assert bars.kind == "bar" and len(bars.spec["data"]["values"]) == 5
    data, metadata = bars._repr_mimebundle_()
    assert data[MIME] is bars.spec and metadata[MIME]["embed_options"]["renderer"] == "svg"
    assert chart(frame, "line").spec["mark"]["type"] == "line"
    assert altair.Chart.from_dict(bars.spec).to_dict()["mark"] == {"type": "bar"}


def test_a_kind_the_frame_does_not_offer_says_what_it_offers() -> None:
    with pytest.raises(ValueError, match="this frame offers bar, line"):
        chart(frame_of(5), "scatter")
    with pytest.raises(ValueError, match="none suits them"):
        chart(pd.DataFrame({"a": ["x"], "b": ["y"]}))


def test_the_chart_under_a_panel_and_its_switch(capsys: pytest.CaptureFixture[str]) -> None:
    panel = ProgressWidget(mode="kernel")
    show_under(panel, frame_of(5))
    assert "<Chart: bar" in capsys.readouterr().out
    assert panel.chart_kinds == ["bar", "line", "table"] and panel.chart_kind == "bar"


def test_a_big_result_shows_no_chart_by_itself(capsys: pytest.CaptureFixture[str]) -> None:
    panel = ProgressWidget(mode="kernel")
    show_under(panel, frame_of(SHOWN_ROWS + 1))
    assert capsys.readouterr().out == "", "its rows would be kept in the notebook"
    assert panel.chart_kinds == []
    assert chart(frame_of(SHOWN_ROWS + 1)).kind == "bar", "drawn when asked"

"""Jupyter side of quart_app: a live panel per request, and results as DataFrames.

``Client(url=None)`` talks to a running service (``QUART_APP_URL`` or
``http://127.0.0.1:8080``): ``run(sql)`` and ``ask(question)`` return
DataFrames whose ``attrs`` hold ``requestId`` and ``sql``; ``convert`` returns
the SQL; ``start`` returns a :class:`Job` to wait for or cancel. In a notebook
each call shows a :class:`ProgressWidget` that follows the request live.
Failures raise :class:`RequestFailed` carrying the error code. ``chart(df)`` draws a
result as the service suggests (``df.attrs["chart"]``), a Vega-Lite chart.
``%load_ext widget`` adds the ``%%ask`` cell magic.
"""

from .calls import RequestFailed
from .chart import Chart, chart
from .client import Client, Job
from .magic import load_ipython_extension
from .progress import ProgressWidget

__all__ = [
    "Chart",
    "Client",
    "Job",
    "ProgressWidget",
    "RequestFailed",
    "chart",
    "load_ipython_extension",
]

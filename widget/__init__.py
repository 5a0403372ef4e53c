"""Jupyter side of quart_app: a client that returns pandas DataFrames.

``Client(url=None)`` talks to a running service (``QUART_APP_URL`` or
``http://127.0.0.1:8080``): ``run(sql)`` and ``ask(question)`` return
DataFrames whose ``attrs`` hold ``requestId`` and ``sql``; ``convert`` returns
the SQL. Failures raise :class:`RequestFailed` carrying the error code.
``%load_ext widget`` adds the ``%%ask`` cell magic.
"""

from .client import Client, RequestFailed
from .magic import load_ipython_extension

__all__ = ["Client", "RequestFailed", "load_ipython_extension"]

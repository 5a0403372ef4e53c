"""The live dashboard page at ``/``: plain HTML, CSS and one ES module, no build step."""

from __future__ import annotations

from quart import Blueprint, render_template

blueprint = Blueprint("dashboard", __name__)


@blueprint.get("/")
async def dashboard() -> str:
    return await render_template("index.html")

"""A browser context with no internet: every request that would leave the machine is
aborted, as with no network, and recorded, so a test can say that a page asked for none."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


async def offline_context(browser: Any, **options: Any) -> tuple[Any, list[str]]:
    """A new context of ``browser`` (Playwright) and the list of the requests it refused."""
    context = await browser.new_context(**options)
    refused: list[str] = []

    async def only_loopback(route: Any) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOOPBACK:
            await route.continue_()
        else:
            refused.append(url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_loopback)
    return context, refused


def page_errors(page: Any) -> list[str]:
    """What ``page`` shows a user as an error from now on: uncaught exceptions, and the
    console's errors (a failed request, say); empty while all is well."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors

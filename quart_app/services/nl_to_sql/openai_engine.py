"""Any OpenAI-compatible chat endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp), streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai

from ...errors import LLMUnavailable
from .engine import GenerationRequest

DEFAULT_MODEL = "gpt-4o-mini"


class OpenAIEngine:
    name = "openai"

    model: str | None

    def __init__(
        self, *, api_key: str | None, base_url: str | None, model: str | None, timeout: float
    ) -> None:
        self.model = model or DEFAULT_MODEL
        self.base_url = base_url
        # Local servers often need no key, but the client insists on one.
        self.client = openai.AsyncOpenAI(
            api_key=api_key or "not-needed", base_url=base_url, timeout=timeout, max_retries=0
        )

    async def generate(self, request: GenerationRequest) -> AsyncIterator[str]:
        try:
            stream = await self.client.chat.completions.create(
                model=self.model or DEFAULT_MODEL,
                messages=request.messages,  # type: ignore[arg-type]
                stream=True,
                temperature=0,
            )
            async for chunk in stream:  # type: ignore[union-attr]
                if chunk.choices and (text := chunk.choices[0].delta.content):
                    yield text
        except openai.AuthenticationError:
            raise LLMUnavailable(
                f"the LLM endpoint {self._where()} refused the API key: check OPENAI_API_KEY"
            ) from None
        except openai.PermissionDeniedError:
            raise LLMUnavailable(
                f"the API key has no access to model {self.model!r}: check OPENAI_MODEL"
            ) from None
        except openai.NotFoundError:
            raise LLMUnavailable(
                f"the LLM endpoint {self._where()} does not know model {self.model!r} "
                "(or the URL is wrong): check OPENAI_MODEL and OPENAI_BASE_URL"
            ) from None
        except openai.RateLimitError:
            raise LLMUnavailable(
                f"the LLM endpoint {self._where()} is rate limiting this key (HTTP 429): "
                "wait and retry, or raise the key's quota"
            ) from None
        except openai.APITimeoutError:
            raise LLMUnavailable(
                f"the LLM endpoint {self._where()} did not answer in time: "
                "check that it is up, or raise QUART_APP_LLM_TIMEOUT_SECONDS"
            ) from None
        except openai.APIConnectionError:
            raise LLMUnavailable(
                f"cannot connect to the LLM endpoint {self._where()}: check OPENAI_BASE_URL and that the server is running"
            ) from None
        except openai.APIStatusError as error:
            raise LLMUnavailable(
                f"the LLM endpoint {self._where()} answered HTTP {error.status_code}: {_first_line(error.message)}"
            ) from None

    def _where(self) -> str:
        return self.base_url or "api.openai.com"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:200] if text.strip() else "no details"

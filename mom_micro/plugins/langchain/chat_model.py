"""The offline language model as a LangChain chat model.

:class:`LocalChatModel` wraps :class:`mom_micro.models.generation.LocalCausalLM` (SmolLM2-135M
by default, or any local Hugging Face causal LM) in ``langchain_core``'s
``BaseChatModel``, so every LangChain pipeline -- and :func:`mom_micro.chains.memory_rag_chain`
-- runs without a network. Swap in ``ChatOpenAI`` or ``ChatOllama`` for real answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field

from mom_micro.models.generation import LocalCausalLM

__all__ = ["LocalChatModel"]

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def _as_chat_turns(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    turns = []
    for message in messages:
        role = _ROLES.get(message.type)
        if role is None:
            raise ValueError(
                f"LocalChatModel takes system, human and ai messages, not {message.type!r}"
            )
        if not isinstance(message.content, str):
            raise ValueError(
                "LocalChatModel takes text messages only (no images or content blocks)"
            )
        turns.append({"role": role, "content": message.content})
    return turns


def _cut_at_stop(text: str, stop: Sequence[str] | None) -> str:
    for marker in stop or ():
        index = text.find(marker)
        if index >= 0:
            text = text[:index]
    return text


class LocalChatModel(BaseChatModel):
    """A local Hugging Face chat LM as a LangChain chat model (offline default: SmolLM2).

    Each call renders the messages with the model's chat template and decodes up to
    ``max_new_tokens``: greedily at ``temperature=0``, else by sampling (seeded, so a run
    repeats while n samples of one prompt differ). ``invoke``/``batch``/``ainvoke`` come
    from the base class; calls run one at a time on the CPU.

    Example:
        .. code-block:: python

            from mom_micro.plugins.langchain import LocalChatModel

            llm = LocalChatModel(temperature=0.8, max_new_tokens=96)
            llm.invoke("Name a colour.").content          # 'Blue is a calm colour ...'
            LocalChatModel.from_pretrained("./my-qwen", temperature=0)   # any local model
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    lm: LocalCausalLM = Field(
        default_factory=LocalCausalLM,
        exclude=True,
        description="The local model; loaded on first use.",
    )
    temperature: float = Field(default=0.7, ge=0, description="Sampling temperature; 0 = greedy.")
    max_new_tokens: int = Field(default=256, ge=1, description="Length limit of a reply.")

    @classmethod
    def from_pretrained(cls, name_or_path: str, **kwargs: Any) -> LocalChatModel:
        """A chat model on any local Hugging Face causal LM folder."""
        return cls(lm=LocalCausalLM.from_pretrained(name_or_path), **kwargs)

    @property
    def _llm_type(self) -> str:
        return "mom-micro-local"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.lm.name,
            "temperature": self.temperature,
            "max_new_tokens": self.max_new_tokens,
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        temperature = float(kwargs.get("temperature", self.temperature))
        text = self.lm.chat(_as_chat_turns(messages), temperature, self.max_new_tokens)
        text = _cut_at_stop(text.strip(), stop)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

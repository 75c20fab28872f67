"""Public mode: what a server open to anyone lets its visitors choose.

On by default on a Hugging Face Space (``SPACE_ID`` set) and with ``CHANGER_PUBLIC=1``;
``CHANGER_PUBLIC=0`` turns it off anywhere. In public mode:

* the model boxes (Blend's *Model id*, Evaluate's ticked methods and *Other models*) take only
  the bundled model names, the baselines and the Hub repo ids listed in
  ``CHANGER_ALLOWED_MODELS`` (comma-separated); never a local path or ``~``. A refusal does not
  repeat the name typed, so it reads the same whether or not such a path exists on the server;
* the dataset folder is the server's own (``CHANGER_DATA``); a folder typed or sent is ignored;
* an Evaluate run takes at most :attr:`Policy.max_frames` frames per split,
  :attr:`Policy.max_methods` methods and :attr:`Policy.max_pairs` uploaded cross-identity pairs
  (results come from the evaluation cache when they are there);
* messages name no server path (:func:`scrub`: an absolute path becomes its last part).

In private mode (a local run) everything stays as free as before.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PUBLIC_ENV = "CHANGER_PUBLIC"
ALLOWED_ENV = "CHANGER_ALLOWED_MODELS"
SPACE_ENV = "SPACE_ID"

_NO = ("0", "false", "no", "off")


def public_mode(env: Mapping[str, str] | None = None) -> bool:
    """Whether the app runs in public mode: ``CHANGER_PUBLIC`` when set, else on a Space."""
    env = os.environ if env is None else env
    value = (env.get(PUBLIC_ENV) or "").strip().lower()
    if value:
        return value not in _NO
    return bool((env.get(SPACE_ENV) or "").strip())


_PATH = re.compile(r"(?<![\w.])(?:~[\w.-]*)?(?:/[^\s'\"`,;:()\[\]<>]+)+/?")


def scrub(message: str, public: bool | None = None) -> str:
    """``message`` with every absolute or ``~`` path cut to its last part, in public mode
    (``/tmp/gradio/ab12/photo.png`` -> ``photo.png``); unchanged in private mode. ``public``:
    None = this process's mode (:func:`public_mode`)."""
    if not (public_mode() if public is None else public):
        return message

    def last(match: re.Match[str]) -> str:
        parts = [p for p in match.group(0).split("/") if p and not p.startswith("~")]
        return parts[-1] if parts else "…"

    return _PATH.sub(last, message)


def _allowed_hub(env: Mapping[str, str]) -> tuple[str, ...]:
    from changer.blenders import _is_repo_id

    names = [n.strip() for n in (env.get(ALLOWED_ENV) or "").replace("\n", ",").split(",")]
    return tuple(dict.fromkeys(n for n in names if n and _is_repo_id(n)))


@dataclass(frozen=True)
class Policy:
    """What visitors may choose. ``public=False`` (private mode) allows everything."""

    public: bool = False
    allowed_hub: tuple[str, ...] = ()
    max_frames: int = 8
    max_methods: int = 4
    max_pairs: int = 4

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Policy:
        """The policy of this process (:func:`public_mode`, ``CHANGER_ALLOWED_MODELS``)."""
        env = os.environ if env is None else env
        return cls(public=public_mode(env), allowed_hub=_allowed_hub(env))

    def offered(self) -> list[str]:
        """The names the model boxes take in public mode: bundled models, baselines, allowed Hub ids."""
        from changer.blenders import baseline_names, bundled_model_names

        return [*bundled_model_names(), *baseline_names(), *self.allowed_hub]

    def _refusal(self, what: str) -> str:
        return f"{what}: this model is not offered here. Choose one of: {', '.join(self.offered())}."

    def model(self, text: str | None, what: str = "Model id") -> str | None:
        """The model box's text when it may be loaded (blank: None, the default model);
        a message naming what is offered otherwise (public mode only)."""
        from demo.errors import user_error

        name = (text or "").strip()
        if not name:
            return None
        if not self.public:
            return name
        if name in self.offered() or name.lower() in self._baselines():
            return name
        raise user_error(self._refusal(what))

    def methods(self, names: Iterable[str], what: str = "Methods") -> list[str]:
        """Evaluate's methods (ticked and typed), each checked as :meth:`model` does, at most
        :attr:`max_methods` of them in public mode."""
        from demo.errors import user_error

        chosen = list(dict.fromkeys(names))
        if not self.public:
            return chosen
        offered = set(self.offered()) | self._baselines()
        if any(name not in offered and name.lower() not in offered for name in chosen):
            raise user_error(self._refusal(what))
        if len(chosen) > self.max_methods:
            raise user_error(f"{what}: at most {self.max_methods} methods a run here, got {len(chosen)}.")
        return chosen

    def frames(self, n: int) -> int:
        """Frames per split, capped at :attr:`max_frames` in public mode."""
        return min(int(n), self.max_frames) if self.public else int(n)

    def data_dir(self, typed: str | None, configured: str | None) -> str:
        """The dataset folder to use: the server's own in public mode, else the one typed."""
        if self.public:
            return configured or ""
        return (typed or "").strip() or configured or ""

    def pairs(self, limit: int) -> int:
        """How many uploaded cross-identity pairs one run may take (``limit`` in private mode)."""
        return min(limit, self.max_pairs) if self.public else limit

    @staticmethod
    def _baselines() -> set[str]:
        from changer.blenders import baseline_names

        return set(baseline_names())

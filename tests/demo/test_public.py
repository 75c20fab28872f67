"""Public mode (demo/public.py) and the model cache of the Blend tab (issue 27), no server."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pytest

from changer.blenders import DEFAULT_MODEL_DIR, model_key
from demo.examples import example_dir
from demo.gradio_pipeline import BlendService, EvaluateService
from demo.public import Policy, public_mode, scrub

PUBLIC = Policy(public=True, allowed_hub=("someone/changer-256",))


def _blend(service: BlendService, model: str):
    d = example_dir()
    return service.blend(str(d / "source_short_hair.png"), str(d / "target_office.png"), None,
                         str(d / "source_short_hair_labels.png"), str(d / "target_office_labels.png"), model_id=model)


def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(gr.Error) as caught:
        fn(*args, **kwargs)
    return str(caught.value.message)


def test_public_mode_is_on_for_a_space_or_when_asked() -> None:
    assert not public_mode({})
    assert public_mode({"SPACE_ID": "someone/changer"})
    assert public_mode({"CHANGER_PUBLIC": "1"}) and public_mode({"CHANGER_PUBLIC": "yes"})
    assert not public_mode({"SPACE_ID": "someone/changer", "CHANGER_PUBLIC": "0"})
    policy = Policy.from_env({"CHANGER_PUBLIC": "1", "CHANGER_ALLOWED_MODELS": "a/b, not a repo id, c/d\n~x"})
    assert policy.public and policy.allowed_hub == ("a/b", "c/d")


def test_messages_name_no_server_path_in_public_mode() -> None:
    assert scrub("source: file not found: /tmp/gradio/ab12/photo.png", True) == "source: file not found: photo.png"
    assert scrub("no such folder ~root/.ssh/keys", True) == "no such folder keys"
    assert scrub("Hub repo someone/changer-256 at 1/2", True) == "Hub repo someone/changer-256 at 1/2"
    assert scrub("file not found: /tmp/x.png", False) == "file not found: /tmp/x.png"  # private: unchanged


def test_user_errors_are_scrubbed_in_a_public_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from demo.errors import user_error

    monkeypatch.setenv("CHANGER_PUBLIC", "1")
    assert user_error("cannot read /srv/app/uploads/x.png").message == "cannot read x.png"
    monkeypatch.setenv("CHANGER_PUBLIC", "0")
    assert user_error("cannot read /srv/app/uploads/x.png").message == "cannot read /srv/app/uploads/x.png"


def test_the_model_box_takes_only_offered_names_and_answers_paths_alike(tmp_path: Path) -> None:
    service = BlendService("paste", policy=PUBLIC)
    exists = tmp_path / "model"
    exists.mkdir()
    (exists / "config.json").write_text("{}")
    answers = {name: _message(_blend, service, name)
               for name in ("/root/.ssh", "/root/.sshx", str(exists), str(tmp_path / "nothing"), "~root",
                            "~/.cache", "changer/weights/default/.", "someone/not-allowed")}
    assert len(set(answers.values())) == 1, answers  # nothing tells whether a path exists
    message = next(iter(answers.values()))
    assert message.startswith("Model id: this model is not offered here. Choose one of: ")
    assert "default_cpu" in message and "poisson" in message and "someone/changer-256" in message
    assert "/" not in message.replace("someone/changer-256", "")
    assert "Done with **Poisson cloning**" in _blend(service, "poisson").status  # a baseline is offered (plain name)
    assert "Done with **Paste (no blending)**" in _blend(service, "").status  # blank: the default


def test_private_mode_keeps_loading_folders_by_path() -> None:
    service = BlendService("paste", policy=Policy(public=False))
    folder = str(DEFAULT_MODEL_DIR.parent / "default_cpu")
    assert service.pipeline(folder + "/.") is service.pipeline(folder + "/./.") is service.pipeline("default_cpu")


def test_the_model_cache_is_keyed_on_the_model_and_bounded() -> None:
    assert model_key("changer/weights/default/.") == model_key(str(DEFAULT_MODEL_DIR) + "/./.") == model_key(None)
    assert model_key("PASTE") == model_key("paste") == "baseline:paste"
    assert model_key("someone/model") == "hub:someone/model@main"
    service = BlendService("paste", policy=Policy(public=False), cache_size=2)
    default = service.pipeline(None)
    for name in ("poisson", "inpaint", "laplacian", "poisson"):
        service.pipeline(name)
    assert list(service._pipelines) == ["baseline:paste", "baseline:poisson"]  # the default is kept
    assert service.pipeline("") is default


def test_evaluate_in_public_mode_uses_the_servers_data_and_caps_the_run(
        synthetic_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import eval.runner as runner

    service = EvaluateService(str(synthetic_data), policy=PUBLIC)
    assert service.splits("/etc") == service.splits() == ["test_hdtf"]  # a typed folder is ignored
    assert service.data_hint("/no/such/folder") == service.data_hint() == f"Dataset: `{synthetic_data.name}`."
    progress = lambda *args, **kwargs: None  # noqa: E731
    too_many = ["paste", "poisson", "inpaint", "laplacian", "default_cpu"]
    assert "at most 4 methods" in _message(service.evaluate, "", ["test_hdtf"], too_many, 8, progress)
    refusals = {_message(service.evaluate, "", ["test_hdtf"], ["paste"], 8, progress, other_models=other)
                for other in ("/root/.ssh", "/root/.sshx", str(tmp_path), "~root")}
    assert len(refusals) == 1 and next(iter(refusals)).startswith("Methods: this model is not offered here")
    seen = []

    def run_evaluation(request, progress=None):
        seen.append(request)
        raise ValueError("stop here")

    monkeypatch.setattr(runner, "run_evaluation", run_evaluation)
    with pytest.raises(gr.Error, match="stop here"):
        service.evaluate("/somewhere/else", ["test_hdtf"], ["paste"], 60, progress)
    assert seen[0].max_frames == PUBLIC.max_frames and Path(seen[0].data_root) == synthetic_data

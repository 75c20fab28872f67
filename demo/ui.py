"""The Gradio Blocks of the app: a **Blend** tab and an **Evaluate** tab."""

from __future__ import annotations

import gradio as gr

from demo.components import checkbox_group, choice_radio, number_slider, photo_input
from demo.examples import blend_examples
from demo.gpu import gpu
from demo.gradio_pipeline import DEFAULT_EDGE_SOFTNESS, BlendService, EvaluateService, default_model_id
from eval.cross_identity import METRICS as CROSS_METRICS
from eval.stats import METRICS

INTRO = """
# CHANGER · head blending with chroma keying
Put a **source head** onto a **target body**. The network works on a green screen (the
*chroma-key setting*) and the real background is keyed back in afterwards, so the
background never gets blending seams. Paper: *Towards High-fidelity Head Blending with
Chroma Keying for Industrial Applications* (WACV 2025).
"""


def _blend_tab(service: BlendService) -> None:
    gr.Markdown(service.status_line(), elem_id="blend-status-model")
    with gr.Row():
        source = photo_input("Source head", elem_id="source")
        target = photo_input("Target body", elem_id="target")
        background = photo_input("Background (optional)", elem_id="background")
    with gr.Accordion("Advanced options", open=False):
        with gr.Row():
            key = choice_radio(["green", "blue"], "green", "Key colour",
                           info="behind the new person with the key-colour background; the model itself works on its own key")
            colour_ref = choice_radio(
                [("match the target's skin tone", "target"), ("keep the source's colours", "source")],
                "target", "Colour reference",
            )
            out_bg = choice_radio(
                [("target's own background", "original"), ("key colour", "key"), ("uploaded background", "image")],
                "original", "Output background",
            )
        with gr.Row():
            scale = number_slider(0.6, 1.6, 1.0, "Head scale", step=0.02)
            dx = number_slider(-0.5, 0.5, 0.0, "Head offset x (head widths)", step=0.01)
            dy = number_slider(-0.5, 0.5, 0.0, "Head offset y (head heights)", step=0.01)
            softness = number_slider(0.0, 3.0, DEFAULT_EDGE_SOFTNESS,
                                     "Edge softness (px at the working resolution; 0 = hard keyed outline)", step=0.1)
            upright = gr.Checkbox(value=True, label="Turn photos lying on their side or upside down upright",
                                  info="Untick if a photo is turned by mistake.")
        with gr.Row():
            head = choice_radio(
                [("the source photo's own head (sharp, true colours)", "real"),
                 ("drawn by the network (the paper's output)", "network")],
                "real", "New head", info="the network always draws the neck and hair between head and body")
            force = gr.Checkbox(value=False, label="Blend a very small source face anyway",
                                info="A face enlarged more than 4x is refused: it comes out blurred.")
        with gr.Row():
            model_id = gr.Textbox(label="Model id (blank = bundled default; a bundled model such as default_cpu, a local folder or a Hub repo id)"
                                  if not service.policy.public else
                                  f"Model id (blank = bundled default; or one of: {', '.join(service.policy.offered())})")
            parser = choice_radio([("built-in head parser", "built-in"), ("label maps only", "labels")],
                                  "built-in", "Parser (label maps, when given, always win)")
            source_labels = gr.File(label="Source label map (optional, 5-class PNG)", file_types=["image"], type="filepath", elem_id="source-labels")
            target_labels = gr.File(label="Target label map (optional, 5-class PNG)", file_types=["image"], type="filepath", elem_id="target-labels")
    run = gr.Button("Blend", variant="primary", elem_id="blend-button")
    status = gr.Markdown(elem_id="blend-status")
    with gr.Row():
        result = gr.Image(label="Result", type="numpy", elem_id="result", format="png")
        compare = gr.ImageSlider(label="Before / after", type="numpy")
    with gr.Row():
        foreground = gr.Image(label="Foreground on key colour", type="numpy", format="png")
        alpha = gr.Image(label="Alpha matte", type="numpy", format="png")
        masks = gr.Gallery(label="Masks used", columns=3, height=240)
    download = gr.File(label="Download the result (PNG)")
    gr.Examples(blend_examples(), inputs=[source, target, source_labels, target_labels],
                label="Examples (synthetic people with label maps)")

    @gpu
    def _run(source_file, target_file, background_file, source_map, target_map, key_colour, colour_reference,
             head_scale, offset_x, offset_y, output_background, model, parser_choice, edge_softness, turn_upright,
             head_choice="real", force_small=False,
             progress=gr.Progress()):  # noqa: B008 - Gradio finds the bar by this default
        out = service.blend(source_file, target_file, background_file, source_map, target_map, key_colour,
                            colour_reference, head_scale, offset_x, offset_y, output_background, model, parser_choice,
                            edge_softness, turn_upright, head_choice, force_small, progress=progress)
        return out.result, out.before_after, out.foreground, out.alpha, out.masks, out.download, out.status

    run.click(
        _run,
        inputs=[source, target, background, source_labels, target_labels, key, colour_ref, scale, dx, dy, out_bg,
                model_id, parser, softness, upright, head, force],
        outputs=[result, compare, foreground, alpha, masks, download, status],
        # the progress bar and any error show on the status line only: a refused input leaves
        # the last result on view instead of covering every picture with an "Error" badge
        show_progress_on=[status], concurrency_limit=4, concurrency_id="blend", api_name="blend",
    )


def _evaluate_tab(service: EvaluateService) -> None:
    gr.Markdown(
        "Benchmark the model, its ablations and the baselines on held-out identities "
        "(self-reconstruction: every method gets identical inputs; metrics against the "
        "frame on the key colour)."
    )
    found = service.data_hint()
    with gr.Row():
        public = service.policy.public  # public mode: the server's own dataset, capped runs (demo/public.py)
        data = gr.Textbox(value="" if public else service.default_data or "", label="Dataset folder", scale=3,
                          interactive=not public, visible=not public)
        splits = checkbox_group(service.splits(), value=service.default_splits(), label="Splits", scale=2)
    with gr.Row():
        methods = checkbox_group(service.methods(), value=service.default_methods(), label="Methods", scale=3)
        max_frames = number_slider(1, service.policy.max_frames if public else 60, 8, "Frames per split (max)",
                                   step=1, scale=1)
    other = gr.Textbox(label="Other models (optional): model folders, bundled model names or Hub repo ids, "
                             "separated by commas" if not public else
                             f"Other models (optional, comma-separated): {', '.join(service.policy.offered())}",
                       placeholder="e.g. runs/my_run/model, someone/changer-256", value="", elem_id="eval-other")
    hint = gr.Markdown(found, elem_id="eval-hint")
    run = gr.Button("Evaluate", variant="primary", elem_id="eval-button")
    table = gr.Dataframe(label="Results (mean ± 95% CI)", elem_id="eval-table", wrap=True,
                         headers=["method", "split", *METRICS])  # before a run: names, not Gradio's 1, 2, 3
    paired = gr.Dataframe(
        label="Paired against the first method: each method minus it on the same frames, ± 95% interval over "
              "frames, (share of frames where the method is better). Narrower than comparing the means above.",
        elem_id="eval-paired", wrap=True, headers=["method", "minus", "split", *METRICS])
    with gr.Row():
        bars = gr.Plot(label="Metrics per split", elem_id="eval-bars")
        scatter = gr.Plot(label="Trade-off")
    gr.Markdown("**Qualitative grid**: a row per frame; the input, each method and the ground truth, captioned.")
    # no label on the picture itself: Gradio's label would cover the first column's caption (the frame id)
    grid = gr.Image(label="Qualitative grid", show_label=False, type="filepath", elem_id="eval-grid")
    csv = gr.File(label="Per-frame results (CSV)")

    def _run(data_dir, chosen_splits, chosen_methods, n, other_models, progress=gr.Progress(track_tqdm=True)):
        out = service.evaluate(data_dir, chosen_splits, chosen_methods, int(n), progress, other_models)
        return out.table, out.bars, out.scatter, out.grid, out.csv, out.paired, out.message

    run.click(_run, inputs=[data, splits, methods, max_frames, other],
              outputs=[table, bars, scatter, grid, csv, paired, hint], show_progress_on=[hint],  # as for the blend
              concurrency_limit=1, concurrency_id="evaluate", api_name="evaluate")
    data.change(service.refresh_splits, inputs=data, outputs=[splits, hint])
    _cross_section(service, methods, other)


def _cross_section(service: EvaluateService, methods: gr.CheckboxGroup, other: gr.Textbox) -> None:
    """Cross-identity: another person's head on a body, scored with the panel's metrics."""
    gr.Markdown(
        "**Cross-identity**: another person's head on each body, through the whole Blend pipeline, "
        "with the chosen methods. No ground truth exists, so the scores say what went wrong: "
        "`id_src` ↓ (still the source person? dlib distance, < 0.6 = same), `eye_ab`/`lip_ab` ↓ "
        "(eye and lip colours kept), `kept` ↑ (target pixels left alone), `seam` ↓ (line at the jaw), "
        "`ghost` ↓ (old hair left on a green screen), `sharp` ↑ (1 = as sharp as the source). "
        "The dev panel runs by default; or upload sources and targets, paired in order."
    )
    with gr.Row():
        sources = gr.File(label="Sources (optional)", file_count="multiple", file_types=["image"], type="filepath")
        targets = gr.File(label="Targets (optional)", file_count="multiple", file_types=["image"], type="filepath")
        run = gr.Button("Blend and score cross-identity pairs", elem_id="cross-button")
    hint = gr.Markdown(elem_id="cross-hint")
    summary = gr.Dataframe(label="Cross-identity summary (mean ± 95% CI)", elem_id="cross-summary", wrap=True,
                           headers=["method", "seconds", *CROSS_METRICS, "failed"])
    pairs = gr.Dataframe(label="Per pair", elem_id="cross-pairs", wrap=True,
                         headers=["pair", "method", "seconds", "status", "message", *CROSS_METRICS])
    sheet = gr.Image(label="Cross-identity sheet", show_label=False, type="filepath", elem_id="cross-grid")

    def _run(chosen_methods, other_models, source_files, target_files,
             progress=gr.Progress()):  # noqa: B008 - Gradio finds the bar by this default
        out = service.cross_identity(chosen_methods, progress, other_models, source_files, target_files)
        return out.summary, out.pairs, out.sheet, out.message

    run.click(_run, inputs=[methods, other, sources, targets], outputs=[summary, pairs, sheet, hint],
              show_progress_on=[hint], concurrency_limit=1, concurrency_id="evaluate", api_name="cross_identity")


def build_demo(model_id: str | None = None, data_root: str | None = None) -> gr.Blocks:
    """The whole app; ``model_id`` None = ``$CHANGER_MODEL`` or the bundled default."""
    blend = BlendService(model_id or default_model_id())
    evaluate = EvaluateService(data_root)
    # Gradio keeps a copy of every output it serves; drop those older than a day, hourly.
    with gr.Blocks(title="CHANGER head blending", delete_cache=(3600, 86400)) as demo:
        gr.Markdown(INTRO)
        with gr.Tabs():
            with gr.Tab("Blend", id="blend"):
                _blend_tab(blend)
            with gr.Tab("Evaluate", id="evaluate"):
                _evaluate_tab(evaluate)
    return demo

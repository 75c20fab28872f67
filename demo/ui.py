"""The Gradio Blocks of the app: a **Blend** tab and an **Evaluate** tab.

What the page shows is in plain words (:mod:`demo.names`); the values sent to the handlers
and the API stay the library's names. The first screen of the Blend tab (1400×1000) holds
the examples, the inputs, the Blend button and the result; at phone width (390 px) both
tabs fit the screen (:data:`CSS`).
"""

from __future__ import annotations

import warnings

import gradio as gr

from demo.components import checkbox_group, choice_radio, number_slider, photo_input
from demo.examples import example_thumbnails, portrait_examples
from demo.gpu import gpu
from demo.gradio_pipeline import DEFAULT_EDGE_SOFTNESS, BlendService, EvaluateService, default_model_id
from demo.names import (
    method_choices,
    methods_markdown,
    metric_label,
    metrics_markdown,
    ordered_methods,
    split_choices,
)
from eval.cross_identity import METRICS as CROSS_METRICS
from eval.stats import METRICS

INTRO = """
## CHANGER · head blending with chroma keying
Put the head from one photo (the **source**) onto the person in another (the **target**). The new head
is made on a green screen and the real background keyed back in, so the background gets no seams.
Paper: *Towards High-fidelity Head Blending with Chroma Keying for Industrial Applications* (WACV 2025).
"""

CSS = """
/* the first screen of the Blend tab: examples, inputs, button and result without scrolling at 1400×1000 */
#intro p { margin-top: 2px; margin-bottom: 0; }
/* the examples: one row of source → target pictures (two rows on a phone), captions on them */
#blend-examples, #blend-examples .grid-wrap { height: auto !important; max-height: none !important; min-height: 0 !important; }
#blend-examples .grid-container { grid-template-columns: repeat(4, minmax(0, 1fr)) !important;
                                  grid-auto-rows: auto !important; padding-top: 30px; }
#blend-examples .thumbnail-item { aspect-ratio: auto !important; height: 112px; }
#blend-examples .thumbnail-item img { object-fit: contain !important; }
#blend-status p { margin: 0; }
/* pictures wider than a phone: their own sideways scroll, at a readable size */
.scroll-picture { overflow-x: auto; }
@media (max-width: 640px) {
  #blend-examples .grid-container { grid-template-columns: repeat(2, minmax(0, 1fr)) !important; }
  #blend-examples .thumbnail-item { height: 84px; }
  .scroll-picture img { min-width: 640px; max-width: none !important; height: auto !important;
                        max-height: none !important; object-fit: contain; }
  .scroll-picture.wide-picture img { min-width: 1100px; }
  .scroll-picture .image-container, .scroll-picture .image-frame { overflow-x: auto; justify-content: flex-start; }
  /* tables as wide as the page (column_widths in percent): smaller type, less padding, cells wrap */
  .fit-table .body-cell, .fit-table .header-cell, .fit-table td { font-size: 11px !important; }
  .fit-table .body-cell .cell-wrap, .fit-table .header-cell .cell-wrap { padding: 3px 3px !important; }
  .fit-table .body-cell span, .fit-table .header-cell span { word-break: normal; overflow-wrap: anywhere; }
  .fit-table .cell-menu-button { display: none; }
  #eval-paired .body-cell, #eval-paired .header-cell { font-size: 10px !important; }
  /* the cross-identity tables scroll sideways in their box, their first column pinned */
  .pinned-table .body-cell, .pinned-table .header-cell { font-size: 11px !important; }
}
"""

HEAD = """<style>
@media (max-width: 640px) { .main.app { padding-left: 8px !important; padding-right: 8px !important; } }
</style>"""
"""Page-wide CSS: Gradio scopes :data:`CSS` to the app's inside, and the side margins are outside it."""

LPIPS_COLUMNS = ("lpips", "lpips_region")


def _blend_tab(service: BlendService) -> None:
    examples = gr.Gallery(example_thumbnails(), label="Examples: click one to blend it", columns=4, rows=1,
                          allow_preview=False, object_fit="contain", elem_id="blend-examples", interactive=False,
                          buttons=[])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            with gr.Row(elem_id="blend-inputs"):
                source = photo_input("Source photo (the head)", elem_id="source", height=220, min_width=110)
                target = photo_input("Target photo (the body and scene)", elem_id="target", height=220,
                                     min_width=110)
                background = photo_input("New background (optional)", elem_id="background", height=220,
                                         min_width=110)
            run = gr.Button("Blend", variant="primary", elem_id="blend-button")
            status = gr.Markdown(service.status_line(), elem_id="blend-status")
            with gr.Accordion("Advanced options", open=False):
                with gr.Row():
                    colour_ref = choice_radio(
                        [("match the target's skin tone", "target"), ("keep the source's colours", "source")],
                        "target", "Colours of the new face",
                    )
                    out_bg = choice_radio(
                        [("target's own", "original"), ("plain key colour", "key"), ("the new background", "image")],
                        "original", "Background of the result",
                        info="Uploading a new background picks it.",
                    )
                    key = choice_radio(["green", "blue"], "green", "Key colour",
                                       info="the screen colour of a 'plain key colour' background")
                with gr.Row():
                    head = choice_radio(
                        [("the source photo's own head (sharp, true colours)", "real"),
                         ("drawn by the network (the paper's output)", "network")],
                        "real", "New head", info="the network always draws the neck and the hair between head and body")
                    upright = gr.Checkbox(value=True, label="Turn photos lying on their side or upside down upright",
                                          info="Untick if a photo is turned by mistake.")
                    force = gr.Checkbox(value=False, label="Blend a very small source face anyway",
                                        info="A face enlarged more than 4x is refused: it comes out blurred.")
                with gr.Row():
                    scale = number_slider(0.6, 1.6, 1.0, "Head size", step=0.02)
                    dx = number_slider(-0.5, 0.5, 0.0, "Move the head sideways (head widths)", step=0.01)
                    dy = number_slider(-0.5, 0.5, 0.0, "Move the head up or down (head heights)", step=0.01)
                    softness = number_slider(0.0, 3.0, DEFAULT_EDGE_SOFTNESS, "Edge softness (0 = hard outline)",
                                             step=0.1)
                with gr.Row():
                    model_id = gr.Dropdown(
                        service.model_choices(), value="", label="Model",
                        allow_custom_value=True,  # any name reaches the service, which answers with what is offered
                        info="a bundled model or a baseline" + ("" if service.policy.public else
                                                                 "; or type a model folder or a Hub repo id"),
                        elem_id="blend-model", scale=2, min_width=240)
                    parser = choice_radio([("built-in head parser", "built-in"), ("my label maps only", "labels")],
                                          "built-in", "Finding the heads", info="label maps, when given, always win")
                with gr.Row():
                    source_labels = gr.File(label="Source label map (optional, 5-class PNG)", file_types=["image"],
                                            type="filepath", elem_id="source-labels")
                    target_labels = gr.File(label="Target label map (optional, 5-class PNG)", file_types=["image"],
                                            type="filepath", elem_id="target-labels")
        with gr.Column(scale=2, min_width=300):
            result = gr.Image(label="Result", type="numpy", elem_id="result", format="png", height=440)
            download = gr.DownloadButton("Download the result (PNG)", elem_id="blend-download", size="sm")
    with gr.Row():
        compare = gr.ImageSlider(label="Before / after", type="numpy", elem_id="blend-compare")
        foreground = gr.Image(label="New person on the key colour", type="numpy", format="png")
        alpha = gr.Image(label="Transparency (alpha matte)", type="numpy", format="png")
        masks = gr.Gallery(label="Masks used", columns=3, height=240)

    # a new background is used as soon as it is given: the radio follows the upload (in the
    # browser, so a Blend pressed right after the upload already sees it)
    background.change(None, inputs=[background, out_bg], outputs=out_bg, api_visibility="private",
                      js="(picture, choice) => picture ? 'image' : (choice === 'image' ? 'original' : choice)")

    @gpu
    def _run(source_file, target_file, background_file, source_map, target_map, key_colour, colour_reference,
             head_scale, offset_x, offset_y, output_background, model, parser_choice, edge_softness, turn_upright,
             head_choice="real", force_small=False,
             progress=gr.Progress()):  # noqa: B008 - Gradio finds the bar by this default
        out = service.blend(source_file, target_file, background_file, source_map, target_map, key_colour,
                            colour_reference, head_scale, offset_x, offset_y, output_background, model, parser_choice,
                            edge_softness, turn_upright, head_choice, force_small, progress=progress)
        return out.result, out.before_after, out.foreground, out.alpha, out.masks, out.download, out.status

    inputs = [source, target, background, source_labels, target_labels, key, colour_ref, scale, dx, dy, out_bg,
              model_id, parser, softness, upright, head, force]
    outputs = [result, compare, foreground, alpha, masks, download, status]
    # the progress bar and any error show on the status line only: a refused input leaves
    # the last result on view instead of covering every picture with an "Error" badge
    run.click(_run, inputs=inputs, outputs=outputs, show_progress_on=[status], concurrency_limit=4,
              concurrency_id="blend", api_name="blend")

    def _pick(choice: str, evt: gr.SelectData):
        """An example's photos in the inputs; no background and no label maps of an earlier blend."""
        src, tgt = portrait_examples()[evt.index]
        return src, tgt, None, None, None, "original" if choice == "image" else choice

    examples.select(_pick, inputs=[out_bg], outputs=[source, target, background, source_labels, target_labels, out_bg],
                    api_visibility="private", queue=False).then(
        _run, inputs=inputs, outputs=outputs, show_progress_on=[status], concurrency_limit=4,
        concurrency_id="blend", api_visibility="private")


def _widths(first: list[int], metrics: int) -> list[str]:
    """Column widths in percent of the table's box: ``first`` for the name columns, the rest
    shared by the metric columns (a table as wide as the page, its cells wrapping)."""
    rest = (100 - sum(first)) / max(metrics, 1)
    return [f"{w}%" for w in first] + [f"{rest:.2f}%"] * metrics


def _evaluate_tab(service: EvaluateService) -> None:
    gr.Markdown(
        "Score the bundled model, its ablations and the baselines on people none of them was trained on. "
        "Each test frame's head is removed and every method puts it back from identical inputs; the "
        "result is compared with the true frame (on the green screen)."
    )
    found = service.data_hint()
    public = service.policy.public  # public mode: the server's own dataset, capped runs (demo/public.py)
    with gr.Row():
        data = gr.Textbox(value="" if public else service.default_data or "", label="Dataset folder", scale=3,
                          interactive=not public, visible=not public)
        splits = checkbox_group(split_choices(service.splits()), value=service.default_splits(), label="Test sets",
                                scale=2, elem_id="eval-splits")
    with gr.Row():
        methods = checkbox_group(method_choices(ordered_methods(service.methods())), value=service.default_methods(),
                                 label="Methods", scale=3, elem_id="eval-methods")
        max_frames = number_slider(1, service.policy.max_frames if public else 60,
                                   min(20, service.policy.max_frames) if public else 20,
                                   "Frames per test set (at most)", step=1, scale=1,
                                   info="fewer than 20 frames: the ± intervals are too wide to rank methods")
    with gr.Accordion("What the methods are", open=False, elem_id="eval-about-methods"):
        gr.Markdown(methods_markdown(ordered_methods(service.methods())))
    other = gr.Textbox(label="Other models (optional): model folders, bundled model names or Hub repo ids, "
                             "separated by commas" if not public else
                             f"Other models (optional, comma-separated): {', '.join(service.policy.offered())}",
                       placeholder="e.g. runs/my_run/model, someone/changer-256", value="", elem_id="eval-other")
    hint = gr.Markdown(found, elem_id="eval-hint")
    run = gr.Button("Evaluate", variant="primary", elem_id="eval-button")
    shown = [m for m in METRICS if m not in LPIPS_COLUMNS or service.lpips_note() is None]
    gr.Markdown(service.lpips_note() or "", elem_id="eval-lpips")  # why the LPIPS columns are hidden
    table = gr.Dataframe(label="Results (mean ± 95% interval)", elem_id="eval-table", wrap=True,
                         elem_classes=["fit-table"], show_search="none", buttons=["copy"],
                         column_widths=_widths([24, 18], len(shown)),  # the page's width, never wider
                         headers=[metric_label(c) for c in ("method", "split", *shown)])  # before a run: names
    paired = gr.Dataframe(
        label="Each method minus the first one ticked, on the same frames: difference ± 95% interval "
              "(share of frames where the method is better). Narrower than comparing the means above.",
        elem_id="eval-paired", wrap=True, elem_classes=["fit-table"], show_search="none", buttons=["copy"],
        column_widths=_widths([16, 15, 13], len(shown)), headers=[metric_label(c) for c in ("method", "minus", "split", *shown)])
    with gr.Accordion("What the scores mean", open=False):
        gr.Markdown("↑ higher is better, ↓ lower is better; *blend area* is the part each method had to fill.\n\n"
                    + metrics_markdown(METRICS))
    with gr.Row():
        bars = gr.Plot(label="PSNR per test set", elem_id="eval-bars", min_width=300)
        scatter = gr.Plot(label="Trade-off", elem_id="eval-scatter", min_width=300)
    gr.Markdown("**Pictures**: a row per frame; the input, each method and the true frame, captioned. "
                "On a phone, swipe the picture sideways.")
    # no label on the picture itself: Gradio's label would cover the first column's caption (the frame id)
    grid = gr.Image(label="Pictures per method", show_label=False, type="filepath", elem_id="eval-grid",
                    elem_classes=["scroll-picture"])
    csv = gr.File(label="Per-frame results (CSV, with the methods' short names)")

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
        "### Cross-identity\n"
        "Another person's head on each body, through the whole Blend pipeline, with the methods ticked above. "
        "There is no true picture to compare with, so the scores look for known failures: "
        "the wrong person, changed eye or lip colours, a line at the jaw, old hair left behind, "
        "a blurred face. The built-in pairs run by default; or upload sources and targets, paired in order."
    )
    with gr.Row():
        sources = gr.File(label="Sources (optional)", file_count="multiple", file_types=["image"], type="filepath",
                          min_width=160)
        targets = gr.File(label="Targets (optional)", file_count="multiple", file_types=["image"], type="filepath",
                          min_width=160)
        run = gr.Button("Blend and score cross-identity pairs", elem_id="cross-button", min_width=160)
    hint = gr.Markdown(elem_id="cross-hint")
    summary = gr.Dataframe(label="Cross-identity summary (mean ± 95% interval)", elem_id="cross-summary", wrap=True,
                           show_search="none", buttons=["copy"], pinned_columns=1, elem_classes=["pinned-table"], column_widths=["130px"],
                           headers=[metric_label(c) for c in ("method", "seconds", *CROSS_METRICS, "failed")])
    pairs = gr.Dataframe(label="Per pair (click a cell for its whole text)", elem_id="cross-pairs", wrap=True,
                         show_search="none", buttons=["copy"], pinned_columns=1, max_chars=60, column_widths=["150px"],
                         elem_classes=["pinned-table"],
                         headers=[metric_label(c) for c in ("pair", "method", "seconds", "status", "message",
                                                            *CROSS_METRICS)])
    with gr.Accordion("What the cross-identity scores mean", open=False):
        gr.Markdown("↑ higher is better, ↓ lower is better.\n\n" + metrics_markdown(("seconds", *CROSS_METRICS)))
    sheet = gr.Image(label="Cross-identity sheet", show_label=False, type="filepath", elem_id="cross-grid",
                     elem_classes=["scroll-picture", "wide-picture"])

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
    # Gradio 6 takes css in launch() and falls back to this one: the page's CSS stays here,
    # with the page it belongs to.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The parameters have been moved from the Blocks constructor")
        demo = gr.Blocks(title="CHANGER head blending", delete_cache=(3600, 86400), css=CSS, head=HEAD)
    with demo:
        gr.Markdown(INTRO, elem_id="intro")
        with gr.Tabs():
            with gr.Tab("Blend", id="blend"):
                _blend_tab(blend)
            with gr.Tab("Evaluate", id="evaluate"):
                _evaluate_tab(evaluate)
    return demo


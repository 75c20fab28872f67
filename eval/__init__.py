"""Evaluation of head-blending methods: metrics (PSNR, SSIM, LPIPS over the whole image and
over the blend region) and the non-learned baselines that take the same
:class:`changer.inputs.BlendInputs` as the model.
"""

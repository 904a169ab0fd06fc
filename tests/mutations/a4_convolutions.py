"""a4_convolutions variants for the mutation corpus (see mutation_corpus.py)."""

from mutation_corpus import slip

_CONV_DX_SCATTER = "dxpad[:, :, p:p + stride * oh:stride, q:q + stride * ow:stride] += dcols[:, p, q]"

HAND = [
    slip("conv_db_misses_width_sum", "sum over axis 1",
         ("conv.py", "db = dout_cols.sum(axis=1)", "db = dout.sum(axis=(0, 2))")),
    slip("conv_dw_flipped", "flipped",
         ("conv.py", "dw = (dout_cols @ cols.T).reshape(w.shape)",
          "dw = (dout_cols @ cols.T).reshape(w.shape)[:, :, ::-1, ::-1]")),
    slip("conv_backward_ignores_stride", "backward pass is wrong",
         ("conv.py", _CONV_DX_SCATTER, "dxpad[:, :, p:p + oh, q:q + ow] += dcols[:, p, q]")),
    slip("conv_dx_keeps_padding", "still includes the padding",
         ("conv.py", "dx = dxpad[:, :, padding:padding + h, padding:padding + width].transpose(1, 0, 2, 3)",
          "dx = dxpad.transpose(1, 0, 2, 3)")),
    slip("maxpool_backward_overwrites_overlaps", "backward pass is wrong",
         ("conv.py", "dx[:, :, p:p + stride * oh:stride, q:q + stride * ow:stride] += routed",
          "dx[:, :, p:p + stride * oh:stride, q:q + stride * ow:stride] = routed")),
    slip("batchnorm_eps_outside_sqrt", "eps belongs inside",
         ("conv.py", "inv_std = 1.0 / np.sqrt(var + eps)", "inv_std = 1.0 / (np.sqrt(var) + eps)")),
    slip("batchnorm_dbeta_mean", "1/N",
         ("conv.py", "dbeta = dout.sum(axis=0)", "dbeta = dout.mean(axis=0)")),
    slip("dropout_backward_unscaled", "constant factor",
         ("conv.py", "return np.where(mask, dout * scale, 0.0)", "return np.where(mask, dout, 0.0)")),
]

GENERATED = {
    "conv.py": {
        "conv2d_backward": ("negate", "double"),
        "batchnorm_backward": ("negate", "halve", "drop_batch_sum"),
    },
}

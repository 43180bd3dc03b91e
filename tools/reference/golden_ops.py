"""Golden tensors for package tensor (the compute layer).

Run from the repository root with no arguments:

    tools/reference/.venv/bin/python tools/reference/golden_ops.py

Writes testdata/golden/ops_nn.safetensors and ops_nn.json: small random inputs and torch
(fp32, CPU) outputs for linear, matmul, conv2d, group/layer norm, activations, softmax,
attention (F.scaled_dot_product_attention), upsampling, concat/chunk, broadcasting,
permute and diffusers' get_timestep_embedding. Tensor names are "<case>.<role>".
"""

import json
import math
import os

import torch
import torch.nn.functional as F

import diffusers
import safetensors.torch
import transformers
from diffusers.models.embeddings import get_timestep_embedding

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "testdata", "golden")
SEED = 0


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    t = {}
    cases = {}

    def put(case, desc, **tensors):
        cases[case] = desc
        for k, v in tensors.items():
            t[f"{case}.{k}"] = v.detach().to(torch.float32).contiguous().clone()

    r = torch.randn

    # Linear.
    x, w, b = r(2, 5, 33), r(17, 33), r(17)
    put("linear_bias", "F.linear(x, w, b)", x=x, w=w, b=b, out=F.linear(x, w, b))
    x, w = r(3, 8), r(9, 8)
    put("linear_nobias", "F.linear(x, w)", x=x, w=w, out=F.linear(x, w))

    # Batched matmul (a, b, and their transposes as stored operands).
    a, bm = r(3, 7, 11), r(3, 11, 5)
    put("bmm", "torch.bmm(a, b); at/bt are the stored transposes", a=a, b=bm,
        at=a.transpose(1, 2), bt=bm.transpose(1, 2), out=torch.bmm(a, bm))
    a, bm = r(19, 23), r(23, 6)
    put("mm", "a @ b", a=a, b=bm, out=a @ bm)

    # Conv2d.
    x = r(2, 4, 9, 10)
    for name, k, s, p, bias in [
        ("conv_k3s1p1", 3, 1, 1, True), ("conv_k3s2p1", 3, 2, 1, True),
        ("conv_k3s1p0", 3, 1, 0, False), ("conv_k3s2p0", 3, 2, 0, True),
        ("conv_k1s1p0", 1, 1, 0, True), ("conv_k1s2p0", 1, 2, 0, False),
    ]:
        w = r(6, 4, k, k)
        bb = r(6) if bias else None
        out = F.conv2d(x, w, bb, stride=s, padding=p)
        extra = {"b": bb} if bias else {}
        put(name, f"F.conv2d(x, w, b, stride={s}, padding={p})", x=x, w=w, out=out, **extra)

    # Norms.
    x, g, b = r(2, 8, 5, 6) * 2 + 0.5, r(8), r(8)
    put("groupnorm4d", "F.group_norm(x, 4, g, b, 1e-5)", x=x, g=g, b=b, out=F.group_norm(x, 4, g, b, 1e-5))
    x, g, b = r(2, 8, 7), r(8), r(8)
    put("groupnorm3d", "F.group_norm(x, 2, g, b, 1e-6)", x=x, g=g, b=b, out=F.group_norm(x, 2, g, b, 1e-6))
    x, g, b = r(2, 5, 16) * 3, r(16), r(16)
    put("layernorm", "F.layer_norm(x, (16,), g, b, 1e-5)", x=x, g=g, b=b,
        out=F.layer_norm(x, (16,), g, b, 1e-5))

    # Activations and softmax.
    x = r(4, 50) * 3
    put("act", "silu, gelu (erf), gelu tanh, quick_gelu (x*sigmoid(1.702x)), sigmoid of x", x=x,
        silu=F.silu(x), gelu=F.gelu(x), gelu_tanh=F.gelu(x, approximate="tanh"),
        quick_gelu=x * torch.sigmoid(1.702 * x), sigmoid=torch.sigmoid(x))
    x = r(2, 3, 24) * 2
    h, gate = x.chunk(2, dim=-1)
    put("geglu", "diffusers GEGLU after proj: h * gelu(gate)", x=x, out=h * F.gelu(gate))
    x = r(3, 4, 19) * 5
    put("softmax", "softmax over the last dim", x=x, out=F.softmax(x, dim=-1))

    # Attention, [B, L, heads*D] layout.
    def attn(q, k, v, heads, causal):
        B, Lq, HD = q.shape
        D = HD // heads
        sh = lambda z: z.reshape(B, z.shape[1], heads, D).transpose(1, 2)
        o = F.scaled_dot_product_attention(sh(q), sh(k), sh(v), is_causal=causal)
        return o.transpose(1, 2).reshape(B, Lq, HD)

    for name, B, Lq, Lk, heads, D, causal in [
        ("attn_self", 2, 20, 20, 4, 8, False),
        ("attn_cross", 2, 13, 77, 2, 16, False),
        ("attn_causal", 2, 9, 9, 3, 8, True),
        ("attn_long", 1, 300, 300, 2, 40, False),
    ]:
        q, k, v = r(B, Lq, heads * D), r(B, Lk, heads * D), r(B, Lk, heads * D)
        put(name, f"SDPA heads={heads} D={D} causal={causal}, scale 1/sqrt(D)", q=q, k=k, v=v,
            out=attn(q, k, v, heads, causal))

    # Data movement and broadcasting.
    x = r(2, 3, 4, 5)
    put("upsample", "F.interpolate(x, scale_factor=2, mode='nearest')", x=x,
        out=F.interpolate(x, scale_factor=2.0, mode="nearest"))
    a, b = r(2, 3, 4), r(2, 5, 4)
    put("concat", "torch.cat([a, b], 1)", a=a, b=b, out=torch.cat([a, b], 1))
    x = r(2, 6, 5)
    c1 = x.chunk(3, dim=1)
    c2 = x.chunk(4, dim=2)
    put("chunk", "x.chunk(3, 1) -> d1_i; x.chunk(4, 2) -> d2_i", x=x,
        **{f"d1_{i}": c for i, c in enumerate(c1)}, **{f"d2_{i}": c for i, c in enumerate(c2)})
    a, b = r(2, 3, 4, 5), r(3, 1, 1)
    put("bcast_add", "a + b", a=a, b=b, out=a + b)
    a, b = r(4, 1, 5), r(3, 1)
    put("bcast_mul", "a * b", a=a, b=b, out=a * b)
    a, b = r(2, 1, 6), r(2, 5, 1)
    put("bcast_sub", "a - b", a=a, b=b, out=a - b)
    x = r(2, 3, 4, 5)
    put("permute", "x.permute(0, 2, 3, 1)", x=x, out=x.permute(0, 2, 3, 1))

    # Timestep embeddings.
    ts = torch.tensor([0.0, 1.0, 250.5, 999.0])
    for name, dim, flip, shift in [
        ("temb_flip_shift1", 320, True, 1), ("temb_noflip_shift0", 320, False, 0),
        ("temb_odd", 33, True, 0), ("temb_flip_shift0", 256, True, 0),
    ]:
        out = get_timestep_embedding(ts, dim, flip_sin_to_cos=flip, downscale_freq_shift=shift,
                                     scale=1, max_period=10000)
        put(name, f"get_timestep_embedding(t, {dim}, flip_sin_to_cos={flip}, downscale_freq_shift={shift})",
            t=ts, out=out)

    os.makedirs(OUT, exist_ok=True)
    safetensors.torch.save_file(t, os.path.join(OUT, "ops_nn.safetensors"))
    manifest = {
        "torch": torch.__version__, "diffusers": diffusers.__version__,
        "transformers": transformers.__version__, "seed": SEED,
        "what": "inputs and torch fp32 CPU outputs of the basic ops of package tensor",
        "cases": cases,
        "shapes": {k: list(v.shape) for k, v in sorted(t.items())},
    }
    with open(os.path.join(OUT, "ops_nn.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

"""PyTorch's side of `gemmbench -ops bf16`: the same products (square linears and the SD 1.5 UNet's
shapes at 512², batch 2) in fp32 and bf16 (torch.nn.functional.linear / conv2d on 2 threads),
best of ROUNDS (after one warm-up call, each product in its own process), printed as ms and
GFLOP/s. A product not done within LIMIT·(ROUNDS+1) seconds (LIMIT default 10) is stopped and
reported as such: on CPUs without AVX512_BF16 PyTorch's bf16 convolutions take minutes.

    tools/reference/.venv/bin/python tools/reference/bench_gemm_bf16.py [ROUNDS] [SIZES] [LIMIT]
"""

import multiprocessing as mp
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
SIZES = [int(s) for s in (sys.argv[2] if len(sys.argv) > 2 else "1024,4096").split(",")]
LIMIT = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0

OPS = [("linear %d^3" % s, ("lin", s, s, s)) for s in SIZES] + [
    ("conv 3x3 320@64^2", ("conv", 2, 320, 64, 320)),
    ("conv 3x3 640@32^2", ("conv", 2, 640, 32, 640)),
    ("conv 3x3 1280@16^2", ("conv", 2, 1280, 16, 1280)),
    ("conv 3x3 1280@8^2", ("conv", 2, 1280, 8, 1280)),
    ("attn proj 8192x320->320", ("lin", 8192, 320, 320)),
    ("attn proj 2048x640->640", ("lin", 2048, 640, 640)),
    ("attn proj 512x1280->1280", ("lin", 512, 1280, 1280)),
    ("cross k/v 154x768->320", ("lin", 154, 768, 320)),
    ("ff geglu 8192x320->2560", ("lin", 8192, 320, 2560)),
    ("ff out 8192x1280->320", ("lin", 8192, 1280, 320)),
]


def make(spec, dtype):
    g = torch.Generator().manual_seed(0)
    if spec[0] == "lin":
        _, rows, i, o = spec
        x, w = torch.randn(rows, i, generator=g), torch.randn(o, i, generator=g)
        return (lambda: F.linear(x, w)), 2.0 * rows * i * o, (x.to(dtype), w.to(dtype))
    _, n, c, hw, o = spec
    x, w = torch.randn(n, c, hw, hw, generator=g), torch.randn(o, c, 3, 3, generator=g)
    return None, 2.0 * n * o * hw * hw * c * 9, (x.to(dtype), w.to(dtype))


def run(spec, x, w):
    if spec[0] == "lin":
        return F.linear(x, w)
    return F.conv2d(x, w, padding=1)


def measure(spec, dtype, q):
    torch.set_num_threads(2)
    x, w = make(spec, dtype)[2]
    with torch.no_grad():
        run(spec, x, w)
        best = float("inf")
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            run(spec, x, w)
            best = min(best, time.perf_counter() - t0)
    q.put(best)


def timed(spec, dtype):
    """Best time of ROUNDS calls in a child process, or None past LIMIT·(ROUNDS+1) seconds."""
    q = mp.Queue()
    p = mp.Process(target=measure, args=(spec, dtype, q))
    p.start()
    p.join(LIMIT * (ROUNDS + 1))
    if p.is_alive():
        p.terminate()
        p.join()
        return None
    return q.get()


if __name__ == "__main__":
    print("torch %s, %d threads, best of %d, limit %.0f s" % (torch.__version__, torch.get_num_threads(), ROUNDS, LIMIT))
    print("%-28s %10s %9s %10s %9s %9s" % ("op", "fp32 ms", "GFLOP/s", "bf16 ms", "GFLOP/s", "bf16/fp32"))
    for name, spec in OPS:
        flops = make(spec, torch.float32)[1]
        f, b = timed(spec, torch.float32), timed(spec, torch.bfloat16)
        cell = lambda t: ("%10.1f %9.1f" % (t * 1e3, flops / t / 1e9)) if t else "%10s %9s" % (">%.0fs" % (LIMIT * (ROUNDS + 1)), "-")
        ratio = "%9.2f" % (f / b) if f and b else "%9s" % "-"
        print("%-28s %s %s %s" % (name, cell(f), cell(b), ratio))
        sys.stdout.flush()

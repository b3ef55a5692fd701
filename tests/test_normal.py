"""ratecheck._normal: the compiled ``Generator(PCG64).standard_normal`` gives NumPy's bits and states.

Every comparison is on the bits (``.view(np.uint64)``) and on the whole ``bit_generator.state``
dict. The rare paths of the ziggurat (the tail beyond ``ziggurat_nor_r`` and the wedges) are
counted by a plain-Python reference run on the raw words of ``bit_generator.random_raw``, and the
tests assert that their draws take every one of them.
"""
import math
import threading

import numpy as np
import pytest

pytest.importorskip("numba")

from ratecheck.sim import normal as N  # noqa: E402

SEEDS = np.random.SeedSequence(20261123).spawn(50)


def pcg(seed):
    """The project's generators: ``Generator(PCG64(seed))``."""
    return np.random.Generator(np.random.PCG64(seed))


def bits(a):
    return np.ascontiguousarray(a).view(np.uint64)


def assert_same(got, want):
    assert got.shape == want.shape
    assert np.array_equal(bits(got), bits(want))


def same_state(a, b) -> bool:
    """Whether two ``bit_generator.state`` dicts are equal (some hold arrays)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_state(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    return a == b


# ----------------------------------------------------------------------------- plain reference
WI = N.WI_DOUBLE.tolist()
KI = [int(k) for k in N.KI_DOUBLE]
FI = N.FI_DOUBLE.tolist()


def reference(words, n: int, tail_log=math.log1p):
    """The first ``n`` numbers of ``random_standard_normal`` on the word stream ``words`` (uint64),
    as written in distributions.c, the number of words used and the counts of the rare paths
    (tail, tail redraw, wedge accept, wedge reject). ``tail_log(-u)`` is NumPy 2's
    ``npy_log1p(-u)``; pass ``lambda v: math.log(1.0 + v)`` for the older ``log(1.0 - u)``.

    The words that are accepted at once (99.3%) are done with NumPy, as a block between two
    others; the others one by one in Python.
    """
    w = np.asarray(words, dtype=np.uint64)
    idx = (w & np.uint64(0xFF)).astype(np.intp)
    sign = (w >> np.uint64(8)) & np.uint64(1)
    rabs = (w >> np.uint64(9)) & np.uint64(0x000FFFFFFFFFFFFF)
    fast = rabs < N.KI_DOUBLE[idx]
    x_fast = rabs.astype(np.float64) * N.WI_DOUBLE[idx]          # rabs < 2**52: exact conversion
    x_fast = np.where(sign == 1, -x_fast, x_fast)
    slow = np.flatnonzero(~fast)
    words = w.tolist()
    out = np.empty(n)
    counts = [0, 0, 0, 0]
    p = i = 0                                                    # next word, next output

    def next_double():
        nonlocal p
        p += 1
        return (words[p - 1] >> 11) * (1.0 / 9007199254740992.0)

    while i < n:
        k = int(slow[np.searchsorted(slow, p)])                  # the next word that is not fast
        m = min(k - p, n - i)
        out[i:i + m] = x_fast[p:p + m]
        i, p = i + m, p + m
        if i == n:
            break
        # random_standard_normal on the word at p, one statement per line of the C code
        while True:
            r = words[p]
            p += 1
            j = r & 0xFF
            r >>= 8
            s = r & 0x1
            ra = (r >> 1) & 0x000FFFFFFFFFFFFF
            x = ra * WI[j]
            if s & 0x1:
                x = -x
            if ra < KI[j]:
                break
            if j == 0:
                counts[0] += 1
                while True:
                    xx = -N.ZIGGURAT_NOR_INV_R * tail_log(-next_double())
                    yy = -tail_log(-next_double())
                    if yy + yy > xx * xx:
                        break
                    counts[1] += 1
                x = -(N.ZIGGURAT_NOR_R + xx) if (ra >> 8) & 0x1 else N.ZIGGURAT_NOR_R + xx
                break
            if ((FI[j - 1] - FI[j]) * next_double() + FI[j]) < math.exp(-0.5 * x * x):
                counts[2] += 1
                break
            counts[3] += 1
        out[i] = x
        i += 1
    return out, p, counts


# ----------------------------------------------------------------------------- tests
def test_tables_are_numpys():
    """The tables copied from ziggurat_constants.h are the bytes compiled into NumPy."""
    import numpy.random._generator as g
    with open(g.__file__, "rb") as f:
        blob = f.read()
    for table in (N.KI_DOUBLE, N.WI_DOUBLE, N.FI_DOUBLE):
        assert table.shape == (256,) and table.tobytes() in blob
    assert N.ZIGGURAT_NOR_INV_R == 1.0 / N.ZIGGURAT_NOR_R
    assert N.PCG_MULT == 0x2360ED051FC65DA44385DF649FCCF645       # PCG_DEFAULT_MULTIPLIER_128


def test_self_check_passes_and_is_cheap():
    assert N.supported(pcg(SEEDS[0]))
    assert N._self_check()
    import time
    t = time.perf_counter()
    N._self_check()
    assert time.perf_counter() - t < 5.0                          # ~5 ms; generous for slow CI


def test_kernel_releases_the_gil():
    assert N._fill.targetoptions.get("nogil") is True


@pytest.mark.parametrize("shape", [0, 1, 2, 3, 7, 255, 256, 257, 1001, 4097, (), (0, 4), (3, 5),
                                   (4, 1, 9), (2, 3, 7)])
def test_bits_and_state_many_seeds(shape):
    for seed in SEEDS:
        mine, ref = pcg(seed), pcg(seed)
        out = np.full(shape, np.nan)
        assert N.standard_normal(mine, out) is out
        assert_same(out, ref.standard_normal(size=shape))
        assert mine.bit_generator.state == ref.bit_generator.state


@pytest.mark.parametrize("seed", [SEEDS[0], SEEDS[49], 0])
def test_large_draw(seed):
    mine, ref = pcg(seed), pcg(seed)
    out = np.empty(2_500_001)
    N.standard_normal(mine, out)
    assert_same(out, ref.standard_normal(2_500_001))
    assert mine.bit_generator.state == ref.bit_generator.state


def test_fortran_order_out_is_filled_in_memory_order():
    mine, ref = pcg(SEEDS[3]), pcg(SEEDS[3])
    out, want = np.empty((7, 5), order="F"), np.empty((7, 5), order="F")
    N.standard_normal(mine, out)
    ref.standard_normal(out=want)
    assert_same(out, want)
    assert mine.bit_generator.state == ref.bit_generator.state


def test_interleaved_with_numpy_draws():
    """numba fill, then NumPy draws of all kinds on the same generator, then numba again: the same
    sequence as NumPy alone."""
    for seed in SEEDS[:10]:
        mine, ref = pcg(seed), pcg(seed)
        got, want = [], []
        for k, n in enumerate((1000, 1, 0, 4097, 33, 100_000)):
            a = np.empty(n)
            N.standard_normal(mine, a)
            got.append(a)
            want.append(ref.standard_normal(n))
            for g, out in ((mine, got), (ref, want)):
                out.append(g.random(k + 1))
                out.append(g.standard_normal(k + 2))
                out.append(np.atleast_1d(g.integers(0, 2**32, dtype=np.uint32)).view(np.uint32)
                           .astype(np.float64))                          # toggles has_uint32
                out.append(g.normal(1.0, 2.0, size=3))
            assert mine.bit_generator.state == ref.bit_generator.state
        for a, b in zip(got, want):
            assert_same(a, b)


def test_has_uint32_is_preserved():
    # after a 32-bit draw: the other half of the word is buffered
    mine, ref = pcg(SEEDS[5]), pcg(SEEDS[5])
    mine.integers(0, 2**32, dtype=np.uint32)
    ref.integers(0, 2**32, dtype=np.uint32)
    assert mine.bit_generator.state["has_uint32"] == 1
    out = np.empty(5000)
    N.standard_normal(mine, out)
    assert_same(out, ref.standard_normal(5000))
    assert mine.bit_generator.state == ref.bit_generator.state
    assert mine.bit_generator.state["has_uint32"] == 1
    assert mine.integers(0, 2**32, dtype=np.uint32) == ref.integers(0, 2**32, dtype=np.uint32)
    # a state set by hand
    state = pcg(SEEDS[6]).bit_generator.state
    state.update(has_uint32=1, uinteger=0xDEADBEEF)
    mine, ref = pcg(0), pcg(0)
    mine.bit_generator.state = state
    ref.bit_generator.state = state
    N.standard_normal(mine, out)
    assert_same(out, ref.standard_normal(5000))
    assert mine.bit_generator.state == ref.bit_generator.state
    assert mine.bit_generator.state["uinteger"] == 0xDEADBEEF
    assert mine.integers(0, 2**32, dtype=np.uint32) == 0xDEADBEEF


def test_rare_paths_are_taken_and_identical():
    """The reference on the raw words gives NumPy's numbers; the draws here take the tail (with
    redraws) and the wedges (accepted and rejected) many times; the kernel gives the same numbers
    and counts. The tail's log1p matters: with log(1.0 - u), as in older NumPy sources, number
    33152 of SEEDS[29] and number 34105 of SEEDS[32] would differ in the last bit."""
    total = np.zeros(4, dtype=np.int64)
    differs_with_log = []
    for seed in (SEEDS[0], SEEDS[1], SEEDS[29], SEEDS[32]):
        n = 150_000
        raw = pcg(seed).bit_generator.random_raw(n + n // 10)
        want, used, counts = reference(raw, n)
        ref = pcg(seed)
        assert_same(want, ref.standard_normal(n))                 # the reference is NumPy
        after = pcg(seed)
        after.bit_generator.advance(used)
        assert after.bit_generator.state == ref.bit_generator.state

        mine = pcg(seed)
        got = np.empty(n)
        kcounts = np.zeros(4, dtype=np.int64)
        N._run(mine.bit_generator, got, kcounts)
        assert_same(got, want)
        assert mine.bit_generator.state == ref.bit_generator.state
        assert kcounts.tolist() == counts
        total += kcounts

        old, _, _ = reference(raw, n, tail_log=lambda v: math.log(1.0 + v))
        differs_with_log += np.flatnonzero(bits(old) != bits(want)).tolist()
    tail, redraw, accept, reject = total.tolist()
    assert tail >= 100 and redraw >= 3 and accept >= 3000 and reject >= 3000, total
    assert differs_with_log == [33152, 34105]


def test_self_check_takes_every_rare_path():
    counts = np.zeros(4, dtype=np.int64)
    for seed, n in N._CHECK:
        N._run(pcg(seed).bit_generator, np.empty(n), counts)
    assert counts.min() > 0, counts


def test_self_check_catches_a_wrong_kernel(monkeypatch):
    right = N._fill

    def wrong(out, st, counts):                                   # one number off by one ulp
        right(out, st, counts)
        out[out.size // 2] = np.nextafter(out[out.size // 2], np.inf)
    monkeypatch.setattr(N, "_fill", wrong)
    assert not N._self_check()


def test_failed_self_check_falls_back_to_numpy(monkeypatch):
    monkeypatch.setattr(N, "_checked", False)
    mine, ref = pcg(SEEDS[7]), pcg(SEEDS[7])
    assert not N.supported(mine)
    out = np.empty((10, 10))
    N.standard_normal(mine, out)
    assert_same(out, ref.standard_normal((10, 10)))
    assert mine.bit_generator.state == ref.bit_generator.state


class _PCG64Sub(np.random.PCG64):
    pass


class _GeneratorSub(np.random.Generator):
    pass


@pytest.mark.parametrize("make", [
    lambda s: np.random.Generator(np.random.PCG64DXSM(s)),
    lambda s: np.random.Generator(np.random.SFC64(s)),
    lambda s: np.random.Generator(np.random.MT19937(s)),
    lambda s: np.random.Generator(np.random.Philox(s)),
    lambda s: np.random.Generator(_PCG64Sub(s)),
    lambda s: _GeneratorSub(np.random.PCG64(s)),
], ids=["PCG64DXSM", "SFC64", "MT19937", "Philox", "PCG64-subclass", "Generator-subclass"])
def test_unsupported_generators_fall_back(make):
    mine, ref = make(SEEDS[8]), make(SEEDS[8])
    assert not N.supported(mine)
    out = np.empty((3, 1001))
    N.standard_normal(mine, out)
    assert_same(out, ref.standard_normal((3, 1001)))
    assert same_state(mine.bit_generator.state, ref.bit_generator.state)


def test_arrays_numpy_refuses_get_numpys_errors():
    mine = pcg(SEEDS[9])
    before = mine.bit_generator.state
    with pytest.raises(ValueError, match="contiguous"):
        N.standard_normal(mine, np.empty(10)[::2])
    with pytest.raises(TypeError, match="wrong type"):
        N.standard_normal(mine, np.empty(10, dtype=np.float32))
    ro = np.empty(10)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        N.standard_normal(mine, ro)
    assert mine.bit_generator.state == before


def test_threads_sharing_a_generator_take_turns():
    """standard_normal holds the bit generator's lock, as NumPy does: concurrent calls on one
    generator give some interleaving of whole calls (the multiset of the numbers is NumPy's)."""
    rng = pcg(SEEDS[10])
    outs = [np.empty(50_000) for _ in range(8)]
    threads = [threading.Thread(target=N.standard_normal, args=(rng, o)) for o in outs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    want = pcg(SEEDS[10]).standard_normal(8 * 50_000).reshape(8, -1)
    got = {o.tobytes() for o in outs}
    assert got == {w.tobytes() for w in want}
    ref = pcg(SEEDS[10])
    ref.standard_normal(8 * 50_000)
    assert rng.bit_generator.state == ref.bit_generator.state

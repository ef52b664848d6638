"""The streaming attention accumulators (by prompt, by layer, merged) and the bias measures,
against the one-prompt functions and numpy."""

import numpy as np
import pytest
from conftest import attention

import icl_metrics as im

ml_dtypes = pytest.importorskip("ml_dtypes")

DTYPES = [np.float16, ml_dtypes.bfloat16, np.float32, np.float64]


def prompts(rng, count=4):
    """Prompts of different lengths, with their ratio positions and label positions/classes."""
    out = []
    for p in range(count):
        T = 7 + p
        A = attention(rng, T=T)
        out.append(dict(A=A, sources=[T - 1], relevant=[1, 3], irrelevant=[0, 2, 4],
                        labels=[1, 3, 5], classes=[p % 2, 1, 0]))
    return out


def test_ratio_accumulator_by_prompt_by_layer_and_merged(rng):
    ps = prompts(rng)
    whole, by_layer, first, second = (im.RatioAccumulator() for _ in range(4))
    ratios, nums, dens = [], 0.0, 0.0
    for i, p in enumerate(ps):
        whole.add(p["A"], p["sources"], p["relevant"], p["irrelevant"])
        for layer in reversed(range(p["A"].shape[0])):
            by_layer.add_layer(layer, p["A"][layer], p["sources"], p["relevant"], p["irrelevant"])
        (first if i < 2 else second).add(p["A"], p["sources"], p["relevant"], p["irrelevant"])
        ratios.append(im.attention_ratio(p["A"], p["sources"], p["relevant"], p["irrelevant"]))
        rows = p["A"][:, :, p["sources"]]
        nums = nums + rows[..., p["relevant"]].sum((-1, -2)) / len(p["relevant"])
        dens = dens + rows[..., p["irrelevant"]].sum((-1, -2)) / len(p["irrelevant"])
    np.testing.assert_allclose(whole.result(), np.mean(ratios, axis=0), rtol=1e-12)
    np.testing.assert_allclose(whole.ratio_of_sums(), nums / dens, rtol=1e-12)
    np.testing.assert_array_equal(by_layer.result(), whole.result())
    first.merge(second)
    np.testing.assert_allclose(first.result(), whole.result(), rtol=1e-12)
    assert whole.prompts == 4 and first.prompts == 4
    np.testing.assert_array_equal(by_layer.layer_prompts, [4, 4])
    assert repr(whole) == "RatioAccumulator(prompts=4)"
    unnormalized = im.RatioAccumulator(normalize=False)
    unnormalized.add(ps[0]["A"], ps[0]["sources"], ps[0]["relevant"], ps[0]["irrelevant"])
    np.testing.assert_allclose(
        unnormalized.result(),
        im.attention_ratio(ps[0]["A"], ps[0]["sources"], ps[0]["relevant"], ps[0]["irrelevant"], normalize=False),
        rtol=1e-12)


def test_summing_accumulators(rng):
    ps = prompts(rng)
    prev, prev_layers, ind, ind_layers = (im.PreviousTokenAccumulator(), im.PreviousTokenAccumulator(),
                                          im.InductionAccumulator(), im.InductionAccumulator())
    for p in ps:
        prev.add(p["A"])
        ind.add(p["A"], p["labels"])
        for layer in range(p["A"].shape[0]):
            prev_layers.add_layer(layer, p["A"][layer])
            ind_layers.add_layer(layer, p["A"][layer], p["labels"])
    np.testing.assert_allclose(prev.result(), sum(im.previous_token_score(p["A"]) for p in ps), rtol=1e-12)
    np.testing.assert_allclose(ind.result(), sum(im.induction_score(p["A"], p["labels"]) for p in ps), rtol=1e-12)
    np.testing.assert_array_equal(prev_layers.result(), prev.result())
    np.testing.assert_array_equal(ind_layers.result(), ind.result())
    other = im.InductionAccumulator()
    other.add(ps[0]["A"], ps[0]["labels"])
    ind.merge(other)
    assert ind.prompts == 5


def test_label_bias_accumulator_and_statistics(rng):
    ps = prompts(rng)
    acc, half = im.LabelBiasAccumulator(), im.LabelBiasAccumulator()
    for i, p in enumerate(ps):
        (acc if i < 2 else half).add(p["A"], p["labels"], p["classes"])
    acc.merge(half)
    expected = im.label_bias([p["A"] for p in ps], [p["labels"] for p in ps], [p["classes"] for p in ps])
    r = acc.result()
    np.testing.assert_allclose(r.majority_excess, expected.majority_excess, rtol=1e-12)
    np.testing.assert_allclose(r.recency_profile, expected.recency_profile, rtol=1e-12)
    assert r.prompts == 4
    one = im.label_bias_statistics(ps[0]["A"], ps[0]["labels"], ps[0]["classes"])
    single = im.label_bias([ps[0]["A"]], [ps[0]["labels"]], [ps[0]["classes"]])
    np.testing.assert_array_equal(one.recency_excess, single.recency_excess)
    assert one.prompts == 1


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_every_dtype_strided_without_a_copy(rng, dtype):
    A = attention(rng, T=8).astype(dtype)
    At = np.swapaxes(np.swapaxes(A, 0, 1).copy(), 0, 1)  # [layers, heads] swapped in memory
    assert not At.flags.c_contiguous
    before = im.build_info()["copies"]
    acc, strided = im.RatioAccumulator(), im.RatioAccumulator()
    acc.add(A, [7], [1, 2], [0, 3])
    strided.add(At, [7], [1, 2], [0, 3])
    prev = im.PreviousTokenAccumulator()
    prev.add_layer(0, A[1, :, ::1, ::1])
    bias = im.LabelBiasAccumulator()
    bias.add(A[:, :, :, :], [1, 3, 5], [0, 1, 0])
    assert im.build_info()["copies"] == before
    np.testing.assert_array_equal(acc.result(), im.attention_ratio(A, [7], [1, 2], [0, 3]))
    np.testing.assert_array_equal(strided.result(), acc.result())
    np.testing.assert_array_equal(prev.result(), im.previous_token_score(A[1]))
    A64 = A.astype(np.float64)
    np.testing.assert_allclose(acc.result(), im.attention_ratio(A64, [7], [1, 2], [0, 3]), rtol=1e-6)


def test_head_map_helpers():
    s = np.array([[1.0, np.inf, 3.0], [2.0, 4.0, 6.0]])
    np.testing.assert_array_equal(im.mean_over_heads(s), [np.inf, 4.0])
    means, left_out = im.mean_over_defined_heads(s)
    np.testing.assert_allclose(means, [2.0, 4.0])
    np.testing.assert_array_equal(left_out, [1, 0])
    np.testing.assert_array_equal(im.icl_change(s, np.ones((2, 3))), s - 1)
    with pytest.raises(im.Error, match="icl::attention::icl_change"):
        im.icl_change(s, np.ones((3, 2)))


def test_label_attention_shift(rng):
    A = attention(rng)
    original = im.label_attention(A, [1, 2, 4], [0, 1, 0])
    reversed_ = im.label_attention(A, [1, 2, 4], [1, 0, 1])
    shift = im.label_attention_shift(original, reversed_)
    np.testing.assert_allclose(shift.values, reversed_.values - original.values, rtol=1e-12)
    with pytest.raises(im.Error, match="icl::attention::label_attention_shift: the two maps have different label"):
        im.label_attention_shift(original, im.label_attention(A, [1, 2], [0, 2]))


def test_bias_measures(rng):
    gap = im.majority_label_gap([1, 1, 0, 1], np.array([1, 0, 0]))
    assert gap.balanced == 0.75 and gap.reduced == pytest.approx(1 / 3) and gap.gap == pytest.approx(0.75 - 1 / 3)
    assert "AccuracyGap(balanced=0.75" in repr(gap)
    orders = [[1, 1, 0, 1], [0, 0, 1], [1, 1, 1, 1, 0]]
    accs = [np.mean(o) for o in orders]
    assert im.order_accuracy_std(orders) == pytest.approx(np.std(accs), rel=1e-12)
    assert im.order_accuracy_std(orders, ddof=1) == pytest.approx(np.std(accs, ddof=1), rel=1e-12)
    att = rng.random((5, 3)).astype(np.float32)
    np.testing.assert_allclose(im.label_attention_std(att), np.std(att.astype(np.float64), axis=0), rtol=1e-6)
    np.testing.assert_allclose(im.label_attention_std(att.T.copy().T, ddof=1),
                               np.std(att.astype(np.float64), axis=0, ddof=1), rtol=1e-6)
    with pytest.raises(im.Error, match="icl::attention::majority_label_gap"):
        im.majority_label_gap([1, 2], [1])
    with pytest.raises(im.Error, match="icl::attention::majority_label_gap"):
        im.majority_label_gap([], [1])
    with pytest.raises(im.Error, match="icl::attention::order_accuracy_std"):
        im.order_accuracy_std([[1, 0]], ddof=1)
    with pytest.raises(im.Error, match="icl::attention::label_attention_std"):
        im.label_attention_std(np.array([[np.nan, 1.0], [0.0, 1.0]]))


def test_accumulator_errors(rng):
    A = attention(rng)
    acc = im.RatioAccumulator()
    with pytest.raises(im.Error, match="icl::attention::ratio_accumulator::result: no prompt was added"):
        acc.result()
    acc.add(A, [6], [1], [2])
    with pytest.raises(im.Error, match="icl::attention::ratio_accumulator::add: shape 1 layers x 3 heads"):
        acc.add(A[:1], [6], [1], [2])
    with pytest.raises(im.Error, match="icl::attention::ratio_accumulator::add"):
        acc.add(A, [6], [1], [9])
    with pytest.raises(im.Error, match="icl::attention::ratio_accumulator::merge"):
        acc.merge(acc)
    other = im.RatioAccumulator(normalize=False)
    other.add(A, [6], [1], [2])
    with pytest.raises(im.Error, match="icl::attention::ratio_accumulator::merge"):
        acc.merge(other)
    layered = im.PreviousTokenAccumulator()
    layered.add_layer(1, A[1])
    with pytest.raises(im.Error, match="icl::attention::previous_token_accumulator::result: layer 0 received no"):
        layered.result()
    with pytest.raises(im.Error, match="icl::attention::induction_accumulator::add"):
        im.InductionAccumulator(check_row_sums=True).add(A * 2, [1, 2])
    bias = im.LabelBiasAccumulator()
    zero = A.copy()
    zero[:, :, -1, [1, 3]] = 0
    with pytest.raises(im.Error, match="icl::attention::label_bias_accumulator::add"):
        bias.add(zero, [1, 3], [0, 1])
    with pytest.raises(im.Error, match="icl::attention::label_bias_accumulator::result"):
        bias.result()
    with pytest.raises(im.Error, match="A must have 4 dimensions, got 3"):
        acc.add(A[0], [6], [1], [2])


def test_row_checks_of_the_one_prompt_metrics(rng):
    A = attention(rng)
    B = A.copy()
    B[1, 2, -1] *= 1.5                                  # row T-1 of layer 1, head 2 sums to 1.5
    np.testing.assert_array_equal(im.induction_score(B, [1, 2]), B[:, :, -1, [1, 2]].sum(-1))
    for call in (lambda: im.induction_score(B, [1, 2], check_row_sums=True),
                 lambda: im.label_attention(B, [1, 2], [0, 1], check_row_sums=True),
                 lambda: im.attention_ratio(B, [6], [1], [2], check_row_sums=True)):
        with pytest.raises(im.Error, match="layer 1.*head 2"):
            call()
    np.testing.assert_array_equal(im.attention_ratio(B, [6], [1], [2], check_row_sums=True, row_sum_tolerance=0.6),
                                  im.attention_ratio(B, [6], [1], [2]))

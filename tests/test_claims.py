"""What the chapter's prose says about outputs, checked in every framework.

Each expected value follows from the model the page builds (its sizes,
its loss), not from a previous run: if a cell's output drifts from what
the text claims, these tests fail.
"""
import re

import pytest

from builder import envs
from conftest import TABS, run_in, shown

pytestmark = pytest.mark.book
PAGE = 'chapter_builders-guide/{}.md'


def ints(text):
    return [int(n) for n in re.findall(r'(?<![\w.])-?\d+(?![\w.])', text)]


def floats(text):
    return [float(n) for n in re.findall(r'-?\d+\.\d*(?:e-?\d+)?', text)]


def booleans(text):
    return re.findall(r'\b(True|False)\b', text)


def by_tab(**markers):
    """Parametrize a test over (tab, marker) with one marker per tab."""
    assert set(markers) == set(TABS)
    return pytest.mark.parametrize('tab, marker', list(markers.items()))


# Parameter Management: an MLP with 5 inputs, 16 hidden units, 3 outputs,
# and a minibatch of 2 examples

@by_tab(pytorch='net[2].named_parameters()', mxnet='net[1].params',
        jax="params['params']['layers_2'])",
        tensorflow='net.layers[1].weights]')
def test_output_layer_has_a_16_by_3_weight_and_3_biases(tab, marker):
    text = shown(PAGE.format('parameters'), tab, marker)
    # PyTorch and Gluon store (outputs, inputs); Flax and Keras the reverse
    weight = (3, 16) if tab in ('pytorch', 'mxnet') else (16, 3)
    assert f'{weight[0]}, {weight[1]}' in text
    assert re.search(r'\(3,\)|\[3\]', text)


@by_tab(pytorch='bias.grad is None', mxnet='# Zeros before any backward',
        jax='jax.grad(loss)(params, X)',
        tensorflow="hasattr(net.layers[1].bias, 'grad')")
def test_gradient_slot_before_backward_and_bias_gradient_of_two(tab, marker):
    text = shown(PAGE.format('parameters'), tab, marker)
    before = {'pytorch': 'True', 'mxnet': '[0. 0. 0.]', 'jax': None,
              'tensorflow': 'False'}[tab]
    if before:
        assert text.splitlines()[0].strip() == before
    # The loss sums 3 outputs over 2 examples; each output has slope 1 in
    # its own bias, so every bias gradient is 2
    assert floats(text.split('\n', 1)[-1])[:3] == [2.0, 2.0, 2.0]


@pytest.mark.parametrize('tab', ['pytorch', 'mxnet', 'tensorflow'])
def test_tied_layer_uses_share_one_tensor(tab):
    text = shown(PAGE.format('parameters'), tab, '0.5')
    # Writing 0.5 through the first use is read back through the second
    assert text.replace('\n', '') == '(True, 0.5)'


def test_flax_keeps_one_entry_for_a_module_used_twice():
    text = shown(PAGE.format('parameters'), 'jax', '.at[0, 0].set(0.5)')
    assert {'layers_0', 'layers_2', 'layers_6'} <= set(
        re.findall(r'layers_\d', text))
    assert 'layers_4' not in text


@by_tab(pytorch='len(net), sum(param.numel()',
        mxnet='len(net), sum(param.data().size',
        jax='leaves = jax.tree_util.tree_leaves(params)',
        tensorflow='len(net.layers), len(net.weights)')
def test_shared_layer_parameters_are_counted_once(tab, marker):
    text = shown(PAGE.format('parameters'), tab, marker)
    # 5*16+16 + 16*16+16 + 16*3+3: the shared layer once (twice: 691)
    assert ints(text)[-1] == 96 + 272 + 51
    layers = {'pytorch': 7, 'mxnet': 4, 'jax': 7, 'tensorflow': 4}[tab]
    assert ints(text)[0] == layers
    if tab == 'tensorflow':
        # Listed twice in net.layers, but its 2 weights are tracked once
        assert ints(text)[1] == 3 * 2


def test_tied_gradient_is_the_sum_of_both_uses(tab):
    text = shown(PAGE.format('parameters'), tab, 'tied, first + second')
    assert booleans(text) == ['True', 'False', 'False']


def test_nested_parameter_reached_by_index_is_the_named_one():
    text = shown(PAGE.format('parameters'), 'pytorch', "get_parameter('3.2")
    assert text == '(torch.Size([16, 8]), True)'


# Layers and Modules: 12 inputs, 32 hidden units, 4 outputs, 3 examples

def test_sequential_and_custom_mlp_have_548_parameters(tab):
    page = PAGE.format('model-construction')
    # 12*32+32 + 32*4+4
    assert ints(shown(page, tab, 'net = MLP()'))[-1] == 548
    marker = {'pytorch': 'net = MySequential(nn.Linear',
              'mxnet': 'net = MySequential(nn.Dense',
              'jax': 'net = MySequential([', 'tensorflow':
              'net = MySequential(keras.layers.Dense(num_hiddens'}[tab]
    assert ints(shown(page, tab, marker))[-1] == 548


def test_children_in_a_plain_list_are_lost_only_in_pytorch_and_gluon(tab):
    text = shown(PAGE.format('model-construction'), tab,
                 'net = ListSequential(')
    expected = 0 if tab in ('pytorch', 'mxnet') else 548
    assert ints(text)[-1] == expected
    if tab == 'mxnet':
        assert 'has not been initialized' in text


def test_fixed_projection_is_no_parameter_and_norm_is_at_most_one(tab):
    text = shown(PAGE.format('model-construction'), tab,
                 'net = FixedProjectionMLP()\n')
    count, norm = ints(text)[0], floats(text)[-1]
    assert count == 548 and 0 < norm <= 1


def test_chained_modules_own_1080_108_and_548_parameters(tab):
    marker = 'FixedProjectionMLP())' if tab != 'jax' else \
        'FixedProjectionMLP()])'
    text = shown(PAGE.format('model-construction'), tab, marker)
    # NestMLP: 12*32+32 + 32*16+16 + 16*8+8; then 8*12+12; then 548
    assert ints(text)[-3:] == [416 + 528 + 136, 108, 548]


# Parameter Initialization: 128 inputs, 64 hidden units, 4 outputs

def test_mixture_initializer_draws_a_quarter_half_quarter(tab):
    text = shown(PAGE.format('init-param'), tab, "'positive, zero, negative:'")
    positive, zero, negative = floats(text.splitlines()[0])
    # 8192 draws: the standard error is under 0.006, so 0.03 is 5 sigma
    assert abs(positive - 0.25) <= 0.03 and abs(zero - 0.5) <= 0.03
    assert abs(negative - 0.25) <= 0.03
    assert booleans(text) == ['True', 'True']


def test_constant_weights_make_every_hidden_unit_equal(tab):
    text = shown(PAGE.format('init-param'), tab, 'H == H[:, :1]')
    assert booleans(text) == ['True']
    assert len(set(floats(text))) == 1


def test_xavier_weights_stay_within_each_layers_bound(tab):
    marker = 'init.Xavier()' if tab == 'mxnet' else 'xavier'
    text = shown(PAGE.format('init-param'), tab, marker)
    first, second = floats(text)[-2:]
    bounds = [(6 / (128 + 64)) ** 0.5, (6 / (64 + 4)) ** 0.5]
    for value, bound in zip((first, second), bounds):
        # With 8192 and 256 draws the maximum comes close to the bound
        assert 0.9 * bound <= value <= bound + 1e-4


# Lazy Initialization: 12 inputs, 32 hidden units, 5 outputs

@by_tab(pytorch='net[0].weight, net[0]', mxnet='net[0].weight, net[0]',
        jax='net.layers[0].features', tensorflow='net.built, net.weights')
def test_parameters_have_no_shape_before_the_first_call(tab, marker):
    text = shown(PAGE.format('lazy-init'), tab, marker)
    expected = {'pytorch': 'UninitializedParameter', 'mxnet': '(32, -1)',
                'jax': '32', 'tensorflow': '(False, [])'}[tab]
    assert expected in text


@by_tab(pytorch='net.named_parameters()]',
        mxnet='net.collect_params().items()]',
        jax='=jax.tree_util.tree_map(jnp.shape, params)', tensorflow='w.path')
def test_first_call_infers_the_input_width(tab, marker):
    text = shown(PAGE.format('lazy-init'), tab, marker)
    kernel = '32, 12' if tab in ('pytorch', 'mxnet') else '12, 32'
    assert kernel in text


# Custom Layers

def test_centered_layer_output_has_zero_mean(tab):
    text = shown(PAGE.format('custom-layer'), tab, '[3.0, 5.0, 7.0, 13.0]')
    # The mean of 3, 5, 7, 13 is 7
    assert floats(text)[:4] == [-4.0, -2.0, 0.0, 6.0]


def test_hand_written_dense_layer_matches_the_built_in_one(tab):
    marker = {'pytorch': 'torch.allclose(F.relu(ref(X)), dense(X))',
              'mxnet': 'np.allclose(ref(X), dense(X))',
              'jax': 'jnp.allclose(nn.relu(ref.apply',
              'tensorflow': 'tf.abs(ref(X) - dense(X))'}[tab]
    assert 'True' in shown(PAGE.format('custom-layer'), tab, marker)


# File I/O

def test_reloaded_model_gives_identical_outputs(tab):
    page = PAGE.format('read-write')
    from conftest import code_cells, load, output_text
    cells = code_cells(load(page, tab))
    verdicts = [output_text(c).strip() for c in cells[-2:]]
    # A fresh instance differs; the one loaded from the file is identical
    assert verdicts == ['False', 'True']


# GPUs: the same notebook runs with and without a GPU

def test_device_helpers_use_a_gpu_only_where_there_is_one(tab):
    module = envs.lib_module(tab)
    count = int(run_in(tab, f'import {module} as d2l\n'
                            'print(d2l.num_gpus())').strip())
    page = PAGE.format('use-gpu')
    assert shown(page, tab, 'def num_gpus():') == str(count)
    first = shown(page, tab, 'try_gpu(), try_gpu(9)').split(',')[0].lower()
    if count == 0:
        assert 'cpu' in first
    else:
        assert 'gpu' in first or 'cuda' in first

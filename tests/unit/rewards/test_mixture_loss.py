"""The stage-1 loss and the Hedge update, pinned on hand-computed numbers."""

from __future__ import annotations

import math

import pytest
import torch

from mom_micro.rewards import MixtureBradleyTerryLoss, head_losses, hedge_targets


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def test_mixture_loss_matches_the_formula_on_hand_numbers():
    # one example, K = 2, f = (0.25, 0.75), margins (1, -2), alpha = 0.5
    f = [0.25, 0.75]
    mix = f[0] * _sigmoid(1.0) + f[1] * _sigmoid(-2.0)  # 0.272166...
    neg_entropy = f[0] * math.log(f[0]) + f[1] * math.log(f[1])  # -0.562335...
    expected = -math.log(mix) + 0.5 * neg_entropy
    assert expected == pytest.approx(1.0201718, abs=1e-6)
    loss = MixtureBradleyTerryLoss(alpha=0.5)(
        torch.log(torch.tensor([f])), torch.tensor([[1.0, -2.0]])
    )
    assert loss.item() == pytest.approx(expected, abs=1e-6)


def test_mixture_loss_averages_over_examples_and_routes_each_example_separately():
    log_f = torch.log(torch.tensor([[0.9, 0.1], [0.1, 0.9]]))
    margins = torch.tensor([[3.0, -3.0], [-3.0, 3.0]])
    loss = MixtureBradleyTerryLoss(alpha=0.0)(log_f, margins)
    per_example = -math.log(0.9 * _sigmoid(3.0) + 0.1 * _sigmoid(-3.0))
    assert loss.item() == pytest.approx(per_example, abs=1e-6)


def test_one_head_is_plain_bradley_terry_and_entropy_term_vanishes():
    margins = torch.tensor([[0.5], [-1.0]])
    loss = MixtureBradleyTerryLoss(alpha=0.5)(torch.zeros(2, 1), margins)
    expected = (-math.log(_sigmoid(0.5)) - math.log(_sigmoid(-1.0))) / 2
    assert loss.item() == pytest.approx(expected, abs=1e-6)


def test_entropy_bonus_favours_a_spread_router():
    margins = torch.zeros(1, 2)
    loss = MixtureBradleyTerryLoss(alpha=0.5)
    uniform = loss(torch.log(torch.tensor([[0.5, 0.5]])), margins)
    peaked = loss(torch.log(torch.tensor([[0.99, 0.01]])), margins)
    assert uniform < peaked


def test_mixture_loss_is_stable_for_huge_margins():
    loss = MixtureBradleyTerryLoss()(
        torch.log(torch.tensor([[0.5, 0.5]])), torch.tensor([[-500.0, -800.0]])
    )
    assert torch.isfinite(loss) and loss.item() == pytest.approx(
        500 + math.log(2) - 0.5 * math.log(2), rel=1e-4
    )


def test_negative_alpha_is_refused():
    with pytest.raises(ValueError, match="alpha"):
        MixtureBradleyTerryLoss(alpha=-1)


def test_hedge_targets_match_the_formula():
    # w ∝ f * exp(-L / tau): (0.2 e^-0.2, 0.8 e^-1) normalised
    prior = torch.log(torch.tensor([[0.2, 0.8]]))
    got = hedge_targets(prior, torch.tensor([[0.1, 0.5]]), tau=0.5)[0].tolist()
    a, b = 0.2 * math.exp(-0.2), 0.8 * math.exp(-1.0)
    assert got == pytest.approx([a / (a + b), b / (a + b)], abs=1e-6)
    assert got == pytest.approx([0.357486, 0.642514], abs=1e-5)


def test_small_tau_puts_the_weight_on_the_best_head_and_large_tau_keeps_the_prior():
    prior = torch.log(torch.tensor([[0.7, 0.2, 0.1]]))
    losses = torch.tensor([[0.9, 0.3, 0.6]])
    assert hedge_targets(prior, losses, 1e-3)[0].argmax().item() == 1
    assert hedge_targets(prior, losses, 1e6)[0].tolist() == pytest.approx([0.7, 0.2, 0.1], abs=1e-5)
    with pytest.raises(ValueError, match="tau"):
        hedge_targets(prior, losses, 0.0)


def test_head_losses_are_minus_log_sigmoid():
    assert head_losses(torch.tensor([2.0])).item() == pytest.approx(
        -math.log(_sigmoid(2.0)), abs=1e-6
    )

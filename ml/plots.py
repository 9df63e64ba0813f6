"""The figures logged with each run, built on matplotlib's object API (no pyplot state)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve, roc_curve


def roc(y_true: np.ndarray, scores: Mapping[str, np.ndarray]) -> Figure:
    """ROC curves of several models on the same labels."""
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    for name, score in scores.items():
        fpr, tpr, _ = roc_curve(y_true, score)
        ax.plot(fpr, tpr, label=name)
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (holdout)")
    ax.legend(loc="lower right")
    return fig


def precision_recall(y_true: np.ndarray, scores: Mapping[str, np.ndarray]) -> Figure:
    """Precision-recall curves of several models on the same labels."""
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    for name, score in scores.items():
        precision, recall, _ = precision_recall_curve(y_true, score)
        ax.plot(recall, precision, label=name)
    ax.axhline(float(np.mean(y_true)), linestyle=":", color="grey", label="base rate")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall (holdout)")
    ax.legend(loc="lower left")
    return fig


def calibration(y_true: np.ndarray, scores: Mapping[str, np.ndarray], bins: int = 10) -> Figure:
    """Reliability diagram: observed rate against predicted probability."""
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    for name, score in scores.items():
        observed, predicted = calibration_curve(y_true, score, n_bins=bins, strategy="quantile")
        ax.plot(predicted, observed, marker="o", label=name)
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
    ax.set(xlabel="predicted probability", ylabel="observed rate", title="Calibration (holdout)")
    ax.legend(loc="upper left")
    return fig


def shap_summary(contributions: np.ndarray, values: pd.DataFrame, top: int = 15) -> Figure:
    """SHAP summary: mean |contribution| per feature, and each row's contribution
    coloured by the feature's value rank (red high, blue low)."""
    importance = np.abs(contributions).mean(axis=0)
    order = np.argsort(importance)[::-1][:top][::-1]
    fig = Figure(figsize=(11, 0.35 * len(order) + 1.5))
    left, right = fig.subplots(1, 2, sharey=True)
    names = [values.columns[i] for i in order]
    left.barh(range(len(order)), importance[order])
    left.set(yticks=range(len(order)), yticklabels=names, xlabel="mean |SHAP| (log-odds)")
    rng = np.random.default_rng(0)
    sample = rng.choice(len(values), size=min(len(values), 2000), replace=False)
    for row, i in enumerate(order):
        ranks = values.iloc[sample, i].rank(pct=True).to_numpy()
        jitter = rng.uniform(-0.25, 0.25, len(sample))
        right.scatter(contributions[sample, i], row + jitter, c=ranks, cmap="coolwarm", s=4)
    right.axvline(0, color="grey", linewidth=0.5)
    right.set(xlabel="SHAP value (impact on churn log-odds)")
    fig.suptitle("SHAP summary (XGBoost pred_contribs)")
    fig.tight_layout()
    return fig


def line(
    xs: Sequence[float], series: Mapping[str, Sequence[float]], xlabel: str, ylabel: str, title: str
) -> Figure:
    """Several named series against the same x values."""
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for name, ys in series.items():
        ax.plot(list(xs), list(ys), marker="o", label=name)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend()
    return fig


def bars(
    labels: Sequence[str], series: Mapping[str, Sequence[float]], ylabel: str, title: str
) -> Figure:
    """Grouped bars: one group per label, one bar per series."""
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(labels))
    for offset, (name, ys) in enumerate(series.items()):
        ax.bar(x + offset * width, list(ys), width=width, label=name)
    ax.set_xticks(x + width * (len(series) - 1) / 2, list(labels))
    ax.set(ylabel=ylabel, title=title)
    ax.legend()
    return fig


def heatmap(frame: pd.DataFrame, title: str) -> Figure:
    """A labelled heatmap of a small numeric frame (rows × columns), values annotated."""
    fig = Figure(figsize=(1.1 * frame.shape[1] + 3, 0.5 * frame.shape[0] + 2))
    ax = fig.subplots()
    ax.imshow(frame.to_numpy(dtype=float), aspect="auto", cmap="viridis")
    ax.set_xticks(range(frame.shape[1]), frame.columns, rotation=45, ha="right")
    ax.set_yticks(range(frame.shape[0]), frame.index)
    for (i, j), value in np.ndenumerate(frame.to_numpy(dtype=float)):
        ax.text(j, i, f"{value:.2g}", ha="center", va="center", color="white", fontsize=7)
    ax.set_title(title)
    fig.tight_layout()
    return fig

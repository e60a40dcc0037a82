"""Recognising spoken digits (chapter 09): batches of recordings for training, the
classifier's loss and predictions, confusion matrices. Loading and features are in
rnnlib.apps.audio.
"""
import matplotlib.pyplot as plt
import numpy as np
import torch

def classify_batches(features, lengths, labels, train_idx, batch_size, rng):
    """A callable for `fit`: each call draws `batch_size` training recordings at random
    and returns (features cut to the longest of them, lengths, labels)."""
    train_idx = torch.as_tensor(np.asarray(train_idx))

    def next_batch():
        i = train_idx[torch.as_tensor(rng.choice(len(train_idx), batch_size, replace=False))]
        l = lengths[i]
        return features[i.to(features.device), :int(l.max())], l, labels[i.to(labels.device)]
    return next_batch


def cross_entropy_loss(model, batch):
    """fit's loss for (features, lengths, labels) batches: cross-entropy and accuracy."""
    x, lengths, labels = batch
    logits = model(x, lengths)
    acc = (logits.argmax(1) == labels).float().mean()
    return torch.nn.functional.cross_entropy(logits, labels), {"acc": acc.detach()}


@torch.no_grad()
def predict(model, features, lengths, idx):
    """Predicted classes (int64 numpy array) of the recordings idx, in eval mode."""
    was_training = model.training
    model.eval()
    idx = torch.as_tensor(np.asarray(idx))
    logits = model(features[idx.to(features.device)], lengths[idx])
    model.train(was_training)
    return logits.argmax(1).cpu().numpy()


def confusion_matrix(y_true, y_pred, n_classes):
    """Counts, int64 (n_classes, n_classes): entry [i, j] = recordings of class i predicted j."""
    y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred: expected the same shape, got {y_true.shape} and {y_pred.shape}")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"{name}: expected labels in [0, {n_classes}), got {y.min()}..{y.max()}")
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def plot_confusion(cm, labels=None, ax=None, title=None):
    """Draw a confusion matrix: rows true class, columns predicted, counts written in."""
    cm = np.asarray(cm)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.8))
    ax.imshow(cm, cmap="Blues")
    ax.grid(False)
    labels = list(range(cm.shape[0])) if labels is None else labels
    ax.set_xticks(range(cm.shape[1]), labels)
    ax.set_yticks(range(cm.shape[0]), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            if cm[i, j]:
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if cm[i, j] > cm.max() / 2 else "black")
    if title:
        ax.set_title(title)
    return ax

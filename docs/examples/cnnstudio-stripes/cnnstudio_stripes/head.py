"""The example head: average-pool the feature map, then one linear layer."""

import torch.nn.functional as F
from torch import nn

from cnnstudio.plugin_api import Head, classification_metrics


class AvgPoolLinearHead(Head):
    """(N, C, h, w) features -> mean over h, w -> (N, C) -> linear -> (N, K) logits."""

    task = "classification"
    primary_metric = "accuracy"  # picks the best epoch (read as val_accuracy)

    def __init__(self, feature_shape, num_classes):
        super().__init__(num_classes)  # also creates the class_weights buffer
        channels, _, _ = feature_shape
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, features):
        return self.fc(features.mean(dim=(2, 3)))

    def loss(self, outputs, targets):
        return F.cross_entropy(outputs, targets.labels, weight=self.class_weights)

    def predict(self, outputs):
        probabilities = outputs.float().softmax(dim=1)
        return {"probabilities": probabilities, "labels": probabilities.argmax(dim=1)}

    def metrics(self, predictions, targets):
        return classification_metrics(predictions["probabilities"], targets.labels)

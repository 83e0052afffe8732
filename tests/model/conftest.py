"""Fixtures for the model tests: the lesson's SimpleCNN exactly as published, and a corrected one."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(16 * 8 * 8, 2)  # Assuming 32x32 input images

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 8 * 8)
        x = self.fc1(x)
        return x


class CorrectedSimpleCNN(SimpleCNN):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16 * 16 * 16, 2)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.pool(F.relu(self.conv2(x)))
        return self.fc1(x.flatten(1))


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def published_simple_cnn() -> nn.Module:
    torch.manual_seed(0)
    return SimpleCNN()


@pytest.fixture
def corrected_simple_cnn() -> nn.Module:
    torch.manual_seed(0)
    return CorrectedSimpleCNN()

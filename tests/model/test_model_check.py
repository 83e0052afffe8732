"""check_forward catches the published SimpleCNN's flatten bug and explains it in words."""

from torch import nn

from cnnstudio.core.model.model_check import check_forward


def test_published_simple_cnn_is_caught_with_4096_vs_1024_and_40_rows(published_simple_cnn):
    problem = check_forward(published_simple_cnn, input_shape=(3, 32, 32), batch_size=10)
    assert problem is not None and problem.code == "batch_mismatch"
    assert (problem.inferred_flatten, problem.used_flatten) == (4096, 1024)
    assert "40 rows" in problem.message and "4096" in problem.message and "1024" in problem.message
    assert "16x16x16" in problem.message and "fc1" in problem.message


def test_corrected_simple_cnn_has_no_problem(corrected_simple_cnn):
    assert check_forward(corrected_simple_cnn, batch_size=10, num_classes=2) is None
    assert corrected_simple_cnn.training  # mode is restored


def test_published_simple_cnn_on_an_indivisible_size_reports_the_original_error(published_simple_cnn):
    problem = check_forward(published_simple_cnn, input_shape=(3, 30, 30))
    assert problem.code == "shape_error"
    assert "16x15x15 = 3600" in problem.message and "[-1, 1024]" in problem.message


def test_linear_layer_of_the_wrong_size_is_explained():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(100, 2))
    problem = check_forward(model, input_shape=(3, 8, 8), batch_size=4)
    assert problem.code == "shape_error"
    assert "expects 100 inputs per row but receives 64" in problem.message and "4x4x4 = 64" in problem.message


def test_wrong_number_of_classes_is_reported(corrected_simple_cnn):
    problem = check_forward(corrected_simple_cnn, num_classes=3)
    assert problem.code == "wrong_classes" and "3 classes" in problem.message

"""TorchScript and ONNX export of a run, with a parity check against PyTorch."""

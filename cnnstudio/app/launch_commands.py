"""The torchrun command lines that train a run config on several processes or machines, and its run.toml.

The app never launches them: the GUI shows them to copy, the person runs them where the
cores or GPUs are. Nothing changes but the launcher: ``cnnstudio train --config`` is the
same command, and rank 0 writes one run folder under ``--out``.

    path = write_run_config(config, runs_dir / "run.toml")       # the dataset folder made absolute
    one = train_command(path, runs_dir, processes=4)              # one machine: torchrun --standalone ...
    many = train_command(path, runs_dir, processes=4, machines=2, rendezvous="gpu-box-1:29400")
    one.text    # the shell line to copy (paths quoted);  one.argv: the same as a list
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass, replace
from pathlib import Path

from cnnstudio.core.atomic import describe_os_error
from cnnstudio.core.config import DEVICES, RunConfig
from cnnstudio.core.data.dataset_ids import dataset_folder, folder_dataset_id
from cnnstudio.core.errors import ConfigError

LAUNCHER = "torchrun"
DEFAULT_PORT = 29400  # torchrun's own default for a c10d rendezvous
DEFAULT_RENDEZVOUS = f"localhost:{DEFAULT_PORT}"
RUN_CONFIG_NAME = "run.toml"
MAX_PROCESSES = 1024
MAX_MACHINES = 4096


@dataclass(frozen=True)
class LaunchCommand:
    """One command line: ``argv`` to run, ``text`` to show and copy (a POSIX shell line, paths quoted)."""

    argv: tuple[str, ...]

    @property
    def text(self) -> str:
        return shlex.join(self.argv)


def parse_rendezvous(text: str) -> tuple[str, int]:
    """``"HOST:PORT"`` (an IPv6 host in brackets) as (host, port); ConfigError naming the field otherwise."""
    value = str(text).strip()
    host, colon, port_text = value.rpartition(":")
    if not colon or not host or not port_text:
        raise ConfigError(f"rendezvous must be HOST:PORT (the first machine's name or address and a free port, "
                          f"e.g. gpu-box-1:{DEFAULT_PORT}), got {value!r}")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ConfigError(f"rendezvous port must be a number from 1 to 65535, got {port_text!r}")
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not bare or re.search(r"[\s/\[\]]", bare):
        raise ConfigError(f"rendezvous host must be a machine name or address without spaces or slashes, got {host!r}")
    return host, int(port_text)


def rendezvous_id(path: str | Path) -> str:
    """A job name every machine of one job shares: ``cnnstudio-`` and a digest of the config's (or run's) path."""
    digest = hashlib.sha1(str(_absolute(path)).encode("utf-8")).hexdigest()[:8]
    return f"cnnstudio-{digest}"


def train_command(config_path: str | Path, runs_dir: str | Path, processes: int = 2, machines: int = 1,
                  rendezvous: str = DEFAULT_RENDEZVOUS, device: str = "", job_id: str = "") -> LaunchCommand:
    """The torchrun line that trains ``config_path`` into ``runs_dir`` on ``machines`` x ``processes`` processes.

    One machine: ``torchrun --standalone``. Several: the same line on each, meeting at ``rendezvous``
    (HOST:PORT of one of them). ``device`` ("cpu", "cuda", ...) overrides the config's; "" keeps it.
    """
    if device and device not in DEVICES:
        raise ConfigError(f"device must be one of {', '.join(DEVICES)} (or empty for the config's), got {device!r}")
    program = ["train", "--config", str(_absolute(config_path)), "--out", str(_absolute(runs_dir))]
    program += ["--device", device] if device else []
    job = job_id or rendezvous_id(config_path)
    return LaunchCommand(tuple(_launcher(processes, machines, rendezvous, job) + program))


def resume_command(run_dir: str | Path, processes: int = 2, machines: int = 1,
                   rendezvous: str = DEFAULT_RENDEZVOUS) -> LaunchCommand:
    """The torchrun line that resumes ``run_dir`` in its own folder, on any number of processes."""
    job = rendezvous_id(run_dir)
    return LaunchCommand(tuple(_launcher(processes, machines, rendezvous, job) + ["resume", str(_absolute(run_dir))]))


def _launcher(processes: int, machines: int, rendezvous: str, job: str) -> list[str]:
    """``torchrun`` and its options, up to the ``-m cnnstudio`` that starts every process."""
    _count(processes, "processes per machine", MAX_PROCESSES)
    _count(machines, "machines", MAX_MACHINES)
    if machines == 1:
        return [LAUNCHER, "--standalone", "--nproc-per-node", str(processes), "-m", "cnnstudio"]
    host, port = parse_rendezvous(rendezvous)
    return [LAUNCHER, "--nnodes", str(machines), "--nproc-per-node", str(processes), "--rdzv-id", job,
            "--rdzv-backend", "c10d", "--rdzv-endpoint", f"{host}:{port}", "-m", "cnnstudio"]


def _count(value: int, name: str, maximum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise ConfigError(f"{name} must be a whole number from 1 to {maximum}, got {value!r}")


def _absolute(path: str | Path) -> Path:
    """``path`` with ``~`` expanded and made absolute (symbolic links kept: they are what the person chose)."""
    return Path(path).expanduser().absolute()


def portable_config(config: RunConfig) -> RunConfig:
    """``config`` validated, its dataset folder (if any) as an absolute ``folder:`` id: it trains from any folder."""
    config = config.validate()
    folder = dataset_folder(config.dataset.id)
    if folder is None:
        return config
    return replace(config, dataset=replace(config.dataset, id=folder_dataset_id(folder)))


def write_run_config(config: RunConfig, path: str | Path) -> Path:
    """Write ``config`` as the run's TOML at ``path`` (folders made), for ``cnnstudio train --config``.

    Returns the absolute path. ConfigError names the field that is invalid, or the file and why it
    could not be written.
    """
    target = _absolute(path)
    if target.is_dir():
        raise ConfigError(f"{target} is a folder: choose a file name for the run config, e.g. {target / RUN_CONFIG_NAME}")
    portable = portable_config(config)
    try:
        portable.save(target)
    except OSError as error:
        raise ConfigError(describe_os_error(error)) from None
    return target


def local_gpu_count() -> int:
    """CUDA GPUs on this machine (0 without CUDA): the default number of processes per machine."""
    try:
        import torch

        return int(torch.cuda.device_count())
    except Exception:  # noqa: BLE001 - a broken driver counts as no GPU; the person can still type a number
        return 0

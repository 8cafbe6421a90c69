#!/usr/bin/env python3
"""Puts the CUDA library headers that libtorch's CUDA headers include into a pip-installed CUDA torch's folder.

Usage: fetch-cuda-headers.py <site folder holding torch/ and torch-*.dist-info>

setup-cuda-build.sh installs torch with --no-deps (its nvidia-* runtime wheels are about 4.4 GB and only needed to
run). ProcessGroupNCCL.hpp includes ATen/cuda/CUDAContext.h, which includes cublas, cusparse and cusolver headers;
they come from the wheels of the `cuda-toolkit` version torch's metadata names. This downloads those wheels
(pip's own configuration says from where) and extracts only their include/ files into <site>/nvidia/, where a
pip CUDA torch has them (CMakeLists.txt adds nvidia/cu13/include).
"""

from __future__ import annotations

import glob
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

LIBRARIES = ("cublas", "cusparse", "cusolver")


def requirement(metadata: str, pattern: str) -> str:
    for line in metadata.splitlines():
        m = re.match(r"Requires-Dist: " + pattern, line)
        if m:
            return m.group(1)
    raise SystemExit(f"fetch-cuda-headers: no requirement matching {pattern!r}")


def metadata_of(wheel: str) -> str:
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        return z.read(name).decode()


def download(spec: str, into: str) -> str:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check", "-d", into, spec], check=True)
    name = re.split(r"[=<>\[]", spec)[0].replace("-", "_")
    found = glob.glob(f"{into}/{name}-*.whl")
    if not found:
        raise SystemExit(f"fetch-cuda-headers: pip downloaded no wheel for {spec}")
    return found[0]


def main() -> None:
    site = Path(sys.argv[1])
    torch_metadata = Path(glob.glob(str(site / "torch-*.dist-info" / "METADATA"))[0]).read_text()
    toolkit = requirement(torch_metadata, r"cuda-toolkit\[[^\]]*\]==([0-9.]+)")
    with tempfile.TemporaryDirectory() as tmp:
        toolkit_metadata = metadata_of(download(f"cuda-toolkit=={toolkit}", tmp))
        extracted = 0
        for lib in LIBRARIES:
            version = requirement(toolkit_metadata, rf"nvidia-{lib}==([0-9.]+)\.\*;.*extra == '{lib}'")
            with zipfile.ZipFile(download(f"nvidia-{lib}=={version}", tmp)) as z:
                for member in z.namelist():
                    if member.startswith("nvidia/") and "/include/" in member and not member.endswith("/"):
                        z.extract(member, site)
                        extracted += 1
    print(f"fetch-cuda-headers: {extracted} headers of {', '.join(LIBRARIES)} (cuda-toolkit {toolkit}) into {site / 'nvidia'}", file=sys.stderr)


if __name__ == "__main__":
    main()

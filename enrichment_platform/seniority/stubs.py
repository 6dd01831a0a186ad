"""Regenerate the committed gRPC stubs of the seniority model from proto/seniority.proto.

Run `python -m enrichment_platform.seniority.stubs` after changing the proto (rarely: clients rely on it).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTO_PATH = REPO_ROOT / "proto" / "seniority.proto"
STUBS_DIR = Path(__file__).resolve().parent
PACKAGE = "enrichment_platform.seniority"
GENERATED_FILES = ("seniority_pb2.py", "seniority_pb2.pyi", "seniority_pb2_grpc.py")


def compile_proto(proto_path: Path, out_dir: Path, *, descriptor_set: Path | None = None) -> None:
    """Run grpc_tools.protoc on one proto file, writing Python, typing and gRPC stubs into out_dir."""
    # grpcio-tools is a development dependency: the server imports the committed stubs, never protoc.
    from grpc_tools import protoc

    args = [
        "grpc_tools.protoc",
        f"-I{proto_path.parent}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
    ]
    if descriptor_set is not None:
        args.append(f"--descriptor_set_out={descriptor_set}")
    args.append(str(proto_path))
    exit_code = protoc.main(args)
    if exit_code != 0:
        raise RuntimeError(f"grpc_tools.protoc failed with exit code {exit_code} compiling {proto_path}")


def _as_package_module(source: str) -> str:
    """Make protoc's top-level module references point at the package, so the stubs import from anywhere."""
    return source.replace(
        "import seniority_pb2 as seniority__pb2",
        f"from {PACKAGE} import seniority_pb2 as seniority__pb2",
    ).replace(
        "_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, 'seniority_pb2', _globals)",
        f"_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, '{PACKAGE}.seniority_pb2', _globals)",
    )


def generate_stubs(proto_path: Path = PROTO_PATH, out_dir: Path = STUBS_DIR) -> list[Path]:
    """Compile proto_path and write package-importable stubs into out_dir; returns the written files."""
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        compile_proto(proto_path, Path(tmp))
        for name in GENERATED_FILES:
            source = (Path(tmp) / name).read_text(encoding="utf-8")
            target = out_dir / name
            target.write_text(_as_package_module(source), encoding="utf-8")
            written.append(target)
    return written


if __name__ == "__main__":
    for path in generate_stubs():
        print(f"wrote {path}")

import subprocess
import sys
from pathlib import Path

from google.protobuf import descriptor_pb2

from enrichment_platform.seniority import seniority_pb2, seniority_pb2_grpc
from enrichment_platform.seniority.stubs import (
    GENERATED_FILES,
    PROTO_PATH,
    STUBS_DIR,
    compile_proto,
    generate_stubs,
)


def _without_json_names(descriptor: descriptor_pb2.FileDescriptorProto) -> descriptor_pb2.FileDescriptorProto:
    # protoc fills json_name in descriptor sets but not in the Python module's embedded copy.
    for message in descriptor.message_type:
        for field in message.field:
            field.ClearField("json_name")
    return descriptor


def _compiled_descriptor(tmp_path: Path) -> descriptor_pb2.FileDescriptorProto:
    descriptor_set_path = tmp_path / "seniority.pb"
    compile_proto(PROTO_PATH, tmp_path, descriptor_set=descriptor_set_path)
    descriptor_set = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set_path.read_bytes())
    assert len(descriptor_set.file) == 1
    return _without_json_names(descriptor_set.file[0])


def _committed_descriptor() -> descriptor_pb2.FileDescriptorProto:
    committed = descriptor_pb2.FileDescriptorProto.FromString(seniority_pb2.DESCRIPTOR.serialized_pb)
    return _without_json_names(committed)


def test_committed_stubs_describe_the_proto_file(tmp_path):
    compiled = _compiled_descriptor(tmp_path)
    committed = _committed_descriptor()

    assert [message.name for message in committed.message_type] == [
        message.name for message in compiled.message_type
    ]
    for committed_message, compiled_message in zip(committed.message_type, compiled.message_type):
        assert committed_message == compiled_message, committed_message.name
    assert list(committed.service) == list(compiled.service)
    assert committed == compiled


def test_proto_matches_the_spec_contract(tmp_path):
    compiled = _compiled_descriptor(tmp_path)

    # No package line, so the method path is /SeniorityModel/InferSeniority for every client.
    assert compiled.package == ""
    fields = {
        message.name: [(field.name, field.number, field.type, field.label) for field in message.field]
        for message in compiled.message_type
    }
    fd = descriptor_pb2.FieldDescriptorProto
    assert fields == {
        "SeniorityRequestBatch": [("batch", 1, fd.TYPE_MESSAGE, fd.LABEL_REPEATED)],
        "SeniorityRequest": [
            ("uuid", 1, fd.TYPE_INT32, fd.LABEL_OPTIONAL),
            ("company", 2, fd.TYPE_STRING, fd.LABEL_OPTIONAL),
            ("title", 3, fd.TYPE_STRING, fd.LABEL_OPTIONAL),
        ],
        "SeniorityResponseBatch": [("batch", 1, fd.TYPE_MESSAGE, fd.LABEL_REPEATED)],
        "SeniorityResponse": [
            ("uuid", 1, fd.TYPE_INT32, fd.LABEL_OPTIONAL),
            ("seniority", 2, fd.TYPE_INT32, fd.LABEL_OPTIONAL),
        ],
    }
    [service] = compiled.service
    [method] = service.method
    assert (service.name, method.name, method.input_type, method.output_type) == (
        "SeniorityModel",
        "InferSeniority",
        ".SeniorityRequestBatch",
        ".SeniorityResponseBatch",
    )


def test_regenerating_the_stubs_reproduces_the_committed_files(tmp_path):
    generate_stubs(out_dir=tmp_path)

    for name in GENERATED_FILES:
        regenerated, committed = (tmp_path / name).read_text(), (STUBS_DIR / name).read_text()
        assert regenerated == committed, f"{name} is stale; run python -m enrichment_platform.seniority.stubs"


def test_grpc_stub_imports_messages_from_the_package():
    assert seniority_pb2_grpc.seniority__pb2 is seniority_pb2
    assert seniority_pb2.SeniorityRequest.__module__ == "enrichment_platform.seniority.seniority_pb2"


NO_PROTO_COMPILER = """
import sys


class NoProtoCompiler:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "grpc_tools":
            raise ImportError("No module named 'grpc_tools'")


sys.meta_path.insert(0, NoProtoCompiler())
import enrichment_platform.seniority.cli
import enrichment_platform.seniority.server
print("serving imports without grpc_tools")
"""


def test_serving_imports_without_the_proto_compiler():
    # grpcio-tools is a development dependency; a plain install has only the committed stubs.
    completed = subprocess.run([sys.executable, "-c", NO_PROTO_COMPILER], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    assert "serving imports without grpc_tools" in completed.stdout

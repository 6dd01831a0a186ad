from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SeniorityRequestBatch(_message.Message):
    __slots__ = ("batch",)
    BATCH_FIELD_NUMBER: _ClassVar[int]
    batch: _containers.RepeatedCompositeFieldContainer[SeniorityRequest]
    def __init__(self, batch: _Optional[_Iterable[_Union[SeniorityRequest, _Mapping]]] = ...) -> None: ...

class SeniorityRequest(_message.Message):
    __slots__ = ("uuid", "company", "title")
    UUID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    uuid: int
    company: str
    title: str
    def __init__(self, uuid: _Optional[int] = ..., company: _Optional[str] = ..., title: _Optional[str] = ...) -> None: ...

class SeniorityResponseBatch(_message.Message):
    __slots__ = ("batch",)
    BATCH_FIELD_NUMBER: _ClassVar[int]
    batch: _containers.RepeatedCompositeFieldContainer[SeniorityResponse]
    def __init__(self, batch: _Optional[_Iterable[_Union[SeniorityResponse, _Mapping]]] = ...) -> None: ...

class SeniorityResponse(_message.Message):
    __slots__ = ("uuid", "seniority")
    UUID_FIELD_NUMBER: _ClassVar[int]
    SENIORITY_FIELD_NUMBER: _ClassVar[int]
    uuid: int
    seniority: int
    def __init__(self, uuid: _Optional[int] = ..., seniority: _Optional[int] = ...) -> None: ...

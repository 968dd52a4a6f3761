from enum import Enum


class ComponentOptionsRecordingSubscribeMode(str, Enum):
    AUTO = "auto"
    MANUAL = "manual"

    def __str__(self) -> str:
        return str(self.value)

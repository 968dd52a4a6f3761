from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..enum_options import enum_option
from ..models.health_report_status import HealthReportStatus

if TYPE_CHECKING:
    from ..models.health_report_distribution import HealthReportDistribution


T = TypeVar("T", bound="HealthReport")


def _convert_status(
    value: HealthReportStatus | Literal["DOWN", "UP"],
) -> HealthReportStatus:
    return enum_option(HealthReportStatus, value, "status")


@_attrs_define
class HealthReport:
    """Describes overall Jellyfish health

    Attributes:
        distribution (HealthReportDistribution): Informs about the status of Jellyfish distribution
        git_commit (str): Commit hash of the build
        status (HealthReportStatus): Informs about the status of Jellyfish or a specific service Example: UP.
        uptime (int): Uptime of Jellyfish (in seconds)
        version (str): Version of Jellyfish
    """

    distribution: HealthReportDistribution
    git_commit: str
    status: HealthReportStatus = _attrs_field(converter=_convert_status)
    uptime: int
    version: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        distribution = self.distribution.to_dict()

        git_commit = self.git_commit

        status = self.status.value

        uptime = self.uptime

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "distribution": distribution,
                "gitCommit": git_commit,
                "status": status,
                "uptime": uptime,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.health_report_distribution import HealthReportDistribution

        d = dict(src_dict)
        distribution = HealthReportDistribution.from_dict(d.pop("distribution"))

        git_commit = d.pop("gitCommit")

        status = HealthReportStatus(d.pop("status"))

        uptime = d.pop("uptime")

        version = d.pop("version")

        health_report = cls(
            distribution=distribution,
            git_commit=git_commit,
            status=status,
            uptime=uptime,
            version=version,
        )

        health_report.additional_properties = d
        return health_report

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

"""What an import did or would do: counts, the problems that stopped it, possible duplicates."""

from dataclasses import dataclass, field


@dataclass
class ImportProblem:
    """One reason a file was refused: where (`record 3`, `line 5`, `file`), which field, why."""

    location: str
    field: str
    message: str

    def __str__(self) -> str:
        if self.field:
            return f"{self.location}, {self.field}: {self.message}"
        return f"{self.location}: {self.message}"


@dataclass
class ImportReport:
    """The incident counts and notices of one import (or dry run).

    With any problem nothing was written, and the counts say what the file would have done.
    `published` counts drafts published by `--publish`; `not_published` says why the others
    stayed drafts. The platform and contact counts follow the incident ones.
    """

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    published: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # possible duplicates (SPEC §3)
    dry_run: bool = False
    not_published: list[str] = field(default_factory=list)
    platforms_created: int = 0
    platforms_updated: int = 0
    sources_created: int = 0  # of the `sources` section
    sources_updated: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    contacts_unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, location: str, field: str, message: str) -> None:
        self.problems.append(ImportProblem(location, field, message))

    def summary(self) -> str:
        """The counts in words; with problems or in a dry run, what the file would have done."""
        if self.problems:
            head = "Refused: nothing was written. Had the file been valid:"
        elif self.dry_run:
            head = "Dry run: nothing was written. The import would leave:"
        else:
            head = "Imported:"
        lines = [
            head,
            f"  incidents: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.published} published",
        ]
        if self.platforms_created or self.platforms_updated:
            lines.append(
                f"  platforms: {self.platforms_created} created, {self.platforms_updated} updated"
            )
        if self.sources_created or self.sources_updated:
            lines.append(
                f"  uncited sources: {self.sources_created} created, {self.sources_updated} updated"
            )
        if self.contacts_created or self.contacts_updated or self.contacts_unchanged:
            lines.append(
                f"  contacts: {self.contacts_created} created, {self.contacts_updated} updated, "
                f"{self.contacts_unchanged} unchanged"
            )
        return "\n".join(lines)

"""One exception hierarchy for the whole package.

Every error carries the place at fault (file, flow, component path, property, table, record)
as structured fields, and a message that names it in backticks and says how to fix it. The CLI
prints `str(error)` on one line and exits 1; nothing else turns errors into exit codes.
"""

from __future__ import annotations


class SpotlightError(Exception):
    """Base of every error the CLI reports as a one-line message (exit code 1)."""


class ConfigError(SpotlightError):
    """A setting is missing or malformed: names the variable and where it was looked for."""

    def __init__(self, variable: str, message: str) -> None:
        self.variable = variable
        super().__init__(message)


class FlowError(SpotlightError):
    """A flow could not be loaded, built or validated: names the flow and the component path."""

    def __init__(self, flow: str, path: str, message: str) -> None:
        self.flow = flow
        self.path = path
        where = f"`{flow}`" if not path else f"`{flow}` at `{path}`"
        super().__init__(f"flow {where}: {message}")


class FlowLoadError(FlowError):
    """A flow module could not be imported or did not define flows."""


class FlowDefinitionError(FlowError):
    """The flow's structure is wrong: duplicate name, dangling connection, unknown relationship."""


class ManifestError(SpotlightError):
    """The runtime manifest could not be obtained or read."""


class ManifestValidationError(FlowError):
    """A component does not match the NiFi runtime manifest (type, property, value, relationship)."""


class ServiceError(SpotlightError):
    """A local service could not be installed, started or reached; carries the tail of its log."""

    def __init__(self, service: str, message: str, log_tail: str = "") -> None:
        self.service = service
        self.log_tail = log_tail
        text = f"service `{service}`: {message}"
        if log_tail:
            text += "\n--- last lines of its log ---\n" + log_tail
        super().__init__(text)


class InputDataError(SpotlightError):
    """Input records could not be read: names the file and line."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        where = f"`{source}`" if line is None else f"`{source}` line {line}"
        super().__init__(f"{where}: {message}")


class SchemaEvolutionError(SpotlightError):
    """A change to a table's columns is unsafe: names the table, column and reason."""

    def __init__(self, table: str, column: str, message: str) -> None:
        self.table = table
        self.column = column
        super().__init__(f"table `{table}` column `{column}`: {message}")


class ClickHouseError(SpotlightError):
    """The ClickHouse backend refused a statement: carries the statement's first line."""


class RecordCastError(SpotlightError):
    """One record does not fit the table: names the field, the column and why (one reason)."""

    def __init__(self, field: str, column: str | None, message: str) -> None:
        self.field = field
        self.column = column
        self.reason = message
        super().__init__(message)


class InferenceError(SpotlightError):
    """No table can be inferred from the samples: names the table and what is missing."""

    def __init__(self, table: str, message: str) -> None:
        self.table = table
        super().__init__(f"table `{table}`: {message}")

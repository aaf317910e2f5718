"""Where pmloop keeps its data: PMLOOP_HOME, else the user's data directory."""

import os
import secrets
from pathlib import Path

import platformdirs


def pmloop_home() -> Path:
    home = os.environ.get("PMLOOP_HOME") or platformdirs.user_data_dir("pmloop", appauthor=False)
    path = Path(home).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(home: Path) -> str:
    """PMLOOP_SECRET_KEY, else a key generated once and kept (mode 600) under PMLOOP_HOME."""
    if env := os.environ.get("PMLOOP_SECRET_KEY"):
        return env
    key_file = home / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()

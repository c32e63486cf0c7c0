"""The whole schema: every package's tables on one metadata (wiring, like core/app.py).

Each package declares its own tables next to its code (``core/models.py`` for the
conversation, message and shared plumbing; ``intake/tables.py``, ``handoff/tables.py``,
``kb/tables.py``, ``api/tables.py``, ``privacy/tables.py``). Only the migrations' environment
and whole-database checks need them all at once: they read :data:`metadata` from here.
"""

from __future__ import annotations

import api.tables
import handoff.tables
import intake.tables
import kb.tables
import privacy.tables
from core.models import Base

PACKAGES = (intake.tables, handoff.tables, kb.tables, api.tables, privacy.tables)
metadata = Base.metadata

"""WSGI entry point. platform/ is a source root, put on sys.path here as in manage.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onedoor.settings")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()

"""The Celery app of the deployment runner: `celery -A onedoor.celery worker` / `... beat`.

Run from the checkout with platform/ on the path (PYTHONPATH=platform, see the Procfile).
Configuration comes from Django settings under the CELERY_ prefix, which read the environment
(CELERY_BROKER_URL, CELERY_QUEUE, WORKFLOWS_SWEEP_INTERVAL, ...).

This module is deliberately not imported from onedoor/__init__.py: web processes and
management commands never send tasks (beat does, by name), so they need not load Celery.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from celery import Celery

# The engine room (workflows/) sits at the checkout root, beside platform/. The celery
# command puts the working directory on sys.path only while it imports this module, so make
# the root importable for good (as manage.py's own directory is).
CHECKOUT = Path(__file__).resolve().parent.parent.parent
if str(CHECKOUT) not in sys.path:
    sys.path.append(str(CHECKOUT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onedoor.settings")

app = Celery("onedoor")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Finds workflows.tasks (and any domain app's tasks.py) once Django's apps are loaded.
app.autodiscover_tasks()

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
application = get_wsgi_application()

# What is loaded by now (Django, the apps, their modules and settings) lives as long as the
# worker. Frozen, the garbage collector's full collections no longer walk it: without this a
# full collection took 80-200 ms in the middle of a request, every hundred requests or so
# (bench/README.md, "Garbage collection").
gc.collect()
gc.freeze()

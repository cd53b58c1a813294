import os

# Playwright's sync API keeps an event loop running on the test thread; the ORM calls the tests
# make around it are still plain synchronous code. (`browser`/`page` live in
# tests/support/browser.py, shared with tests/sandbox.)
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

"""Real-browser test harness: a throwaway JupyterLab server driven by headless Chromium.

:mod:`browser.lab` starts and stops the server (by its PID, kernels included);
:mod:`browser.page` drives a notebook in JupyterLab through playwright.
Only ``tests/test_browser.py`` uses it (``@pytest.mark.browser``).
"""

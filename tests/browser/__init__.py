"""Real-browser test harness: a throwaway JupyterLab server driven by headless Chromium.

:mod:`browser.lab` starts and stops the server (by its PID, kernels included);
:mod:`browser.page` drives a notebook in JupyterLab through playwright;
:mod:`browser.voila` starts a Voilà server on the presenter apps (``tests/test_browser_voila.py``,
``benchmarks/bench_present.py``).
The browser tests are marked ``@pytest.mark.browser``.
"""

"""Ctrl-C inside one long call: SIGINT during a permutation test or a bootstrap raises
KeyboardInterrupt (between batches), not the package's Error, and the module stays usable."""

import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import os, signal, threading, time
    import numpy as np, icl_metrics as im
    rng = np.random.default_rng(0)
    a = rng.standard_normal(400 * 399 // 2)    # 400 conditions
    b = a + rng.standard_normal(a.shape)
    call = {call!r}
    # Far more work than the test can wait for: minutes to hours at any thread count.
    run = {{
        "permutation_test": lambda: im.permutation_test(a, b, "spearman", permutations=200_000_000),
        "bootstrap_compare": lambda: im.bootstrap_compare(a, b, "spearman", samples=5_000_000),
    }}[call]
    # Python's own Ctrl-C handler, even where SIGINT arrives ignored (a job started in the
    # background by a non-interactive shell inherits SIG_IGN, and Python then installs none).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    try:
        run()
        print("finished")
    except KeyboardInterrupt:
        print("interrupted")
    except im.Error as e:
        print("error", e)
    # Still usable afterwards, with the same numbers as before.
    r = im.permutation_test(a[:45], b[:45], permutations=99, seed=1)
    assert r.permutations == 99 and 0 < r.p_value <= 1
    print("usable")
""")


@pytest.mark.parametrize("call", ["permutation_test", "bootstrap_compare"])
def test_ctrl_c_interrupts_one_long_call(tmp_path, call):
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(call=call)], capture_output=True, text=True,
                         timeout=600, cwd=tmp_path, env=dict(os.environ))
    assert out.stdout.split() == ["interrupted", "usable"], out.stdout + out.stderr


def test_a_hook_that_never_fires_changes_nothing(rng):
    """The calls run in batches with the hook set: the numbers are those of the library."""
    import numpy as np

    import icl_metrics as im
    a = rng.standard_normal(30 * 29 // 2)
    b = a + rng.standard_normal(a.shape)
    r = im.permutation_test(a, b, permutations=5000, seed=4, keep_null=True)
    null = r.null_distribution
    count = np.sum(np.abs(null) >= abs(r.statistic) * (1 - 1e-12))
    assert r.p_value == (1 + count) / 5001

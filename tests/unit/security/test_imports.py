import subprocess
import sys

from studio_app.settings import PROJECT_ROOT

SECURITY_MODULES = ("blind_index", "crypto", "fields", "keyring", "passwords", "personal_data", "rate_limits")


def test_security_imports_without_reflex_and_without_reading_configuration():
    # A fresh interpreter, so modules imported by other tests cannot hide an import of reflex.
    imports = "; ".join(f"import studio_app.security.{module}" for module in SECURITY_MODULES)
    script = f"import sys; {imports}; print('reflex' in sys.modules)"
    broken_configuration = {"STUDIO_MASTER_KEYS": "not a key", "STUDIO_DATA_DIR": "/proc/no-such-folder"}

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=broken_configuration,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"

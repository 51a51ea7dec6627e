"""The one thing pyproject.toml cannot say without an experimental key: the C extension.

`audit/_lines.c` does the read path's per-line key=value work (audit/native.py). It is optional:
where it does not compile (no C compiler or Python headers), the install goes on and the same
results come from Python.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("linux_auditd_at.audit._lines", ["package/linux_auditd_at/audit/_lines.c"],
                             optional=True)])

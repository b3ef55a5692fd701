"""The package's house rules: old import paths still work for one release (with a warning), the
public API is where it was, and the stages import one way."""
import importlib
import subprocess
import sys

import pytest

import ratecheck
from ratecheck import _moved


@pytest.mark.parametrize("old", sorted(_moved.MOVED))
def test_an_old_module_path_still_works_with_a_deprecation_warning(old):
    new = importlib.import_module(f"ratecheck.{_moved.MOVED[old]}")
    name = next(n for n in sorted(vars(new)) if not n.startswith("__"))
    stand_in = importlib.import_module(f"ratecheck.{old}")
    with pytest.warns(DeprecationWarning, match=f"ratecheck.{old} moved to ratecheck.{_moved.MOVED[old]}"):
        assert getattr(stand_in, name) is getattr(new, name)


def test_from_import_of_an_old_path_warns_and_gives_the_same_object():
    code = ("import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
            "try:\n    from ratecheck.result import SimulationResult\nexcept DeprecationWarning as e:\n    print('W', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("W ratecheck.result moved to ratecheck.sim.result")


def test_the_public_api_is_unchanged_and_silent(recwarn):
    assert callable(ratecheck.simulate) and ratecheck.SimulationResult.__module__ == "ratecheck.sim.result"
    assert ratecheck.fit_rate.fit_rate is ratecheck.rates.fit_rate
    from ratecheck.fit_rate import fit_linear_rate, fit_sample_complexity  # noqa: F401
    assert ratecheck.optimizers.make("adam").name == "adam" and ratecheck.problems.make("quadratic", dim=2).dim == 2
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]


def test_the_catalog_is_found_from_any_directory(tmp_path, monkeypatch):
    """An editable install finds problems/ and experiments/ in its repository, whatever the cwd."""
    from ratecheck import catalog
    monkeypatch.delenv("RATECHECK_CATALOG", raising=False)
    monkeypatch.chdir(tmp_path)
    root = catalog.catalog_root()
    assert (root / "experiments").is_dir() and (root / "problems").is_dir()
    assert "gd_linear_rate" in catalog.experiment_files()

"""`ratecheck fit` on logs written here (issue 17): known exponent recovered inside its interval,
long/wide/JSON lines/NPZ/result directory, and one-line errors with exit 2 and nothing written."""
import csv
import json

import numpy as np
import pytest

from ratecheck import optimizers, problems
from ratecheck.cli import main
from ratecheck.sim.simulate import simulate

EXPONENT = -0.5


def curves(replicates=16, seed=0):
    """3 t^-1/2 e^(b_r + e_rk): a per-replicate effect b_r ~ N(0, 0.5^2) and AR(1) noise across steps
    (sd 0.2, correlation 0.8), as a seed of a real training run drifts (tests/test_fit_rate.py's model)."""
    rng = np.random.default_rng(seed)
    t = np.unique(np.geomspace(1, 1e4, 40).astype(int))
    b = rng.normal(0.0, 0.5, replicates)
    e = np.zeros(replicates)
    rows = []
    for tt in t:
        e = 0.8 * e + rng.normal(0.0, 0.2, replicates)
        rows.append(3.0 * tt ** EXPONENT * np.exp(b + e))
    return t, np.array(rows)


def write_long(path, t, v, names=("step", "seed", "value")):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names)
        for k, tt in enumerate(t):
            for r in range(v.shape[1]):
                w.writerow([tt, r, repr(float(v[k, r]))])


def fit_json(capsys, *argv):
    capsys.readouterr()
    assert main(["fit", *map(str, argv), "--json"]) == 0
    out = capsys.readouterr().out
    return json.loads(out)


def test_long_csv_recovers_the_exponent(tmp_path, capsys):
    t, v = curves()
    write_long(tmp_path / "log.csv", t, v)
    report = fit_json(capsys, tmp_path / "log.csv", "--out", tmp_path / "fig", "--theory", "det_smooth_nonconvex",
                      "--schedule", "horizon")
    lo, hi = report["fit"]["ci"]
    assert lo <= EXPONENT <= hi and hi - lo < 0.2
    assert abs(report["fit"]["exponent"] - EXPONENT) < 0.05
    assert report["layout"] == "long" and report["replicates"] == 16 and report["x"] == "step"
    assert report["theory"]["verdict"] == "agrees" and report["theory"]["predicted"] == -0.5
    assert (tmp_path / "fig" / "fit_log_csv.png").stat().st_size > 1000


def test_text_output_names_the_choices(tmp_path, capsys):
    t, v = curves()
    write_long(tmp_path / "wandb.csv", t, v, names=("_step", "run", "value"))
    assert main(["fit", str(tmp_path / "wandb.csv"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "steps = '_step'" in out and "replicates = 'run'" in out and "exponent" in out and "window:" in out


def test_wide_tsv_jsonl_and_npz(tmp_path, capsys):
    t, v = curves(seed=1)
    with open(tmp_path / "wide.tsv", "w") as f:
        f.write("global_step\t" + "\t".join(f"seed{r}" for r in range(v.shape[1])) + "\n")
        for k, tt in enumerate(t):
            f.write(f"{tt}\t" + "\t".join(repr(float(x)) for x in v[k]) + "\n")
    with open(tmp_path / "log.jsonl", "w") as f:
        for k, tt in enumerate(t):
            for r in range(v.shape[1]):
                f.write(json.dumps({"step": int(tt), "seed": r, "value": float(v[k, r])}) + "\n")
    np.savez(tmp_path / "log.npz", step=t, value=v)
    fits = [fit_json(capsys, tmp_path / name, "--out", tmp_path)["fit"] for name in ("wide.tsv", "log.jsonl", "log.npz")]
    assert fits[0]["exponent"] == pytest.approx(fits[1]["exponent"], rel=1e-12)
    assert fits[0]["exponent"] == pytest.approx(fits[2]["exponent"], rel=1e-12)
    assert fits[0]["ci"] == pytest.approx(fits[2]["ci"], rel=1e-12)    # same data, same bootstrap seed


def test_window_and_other_kinds(tmp_path, capsys):
    t, v = curves(seed=2)
    write_long(tmp_path / "log.csv", t, v)
    report = fit_json(capsys, tmp_path / "log.csv", "--window", 10, 5000, "--out", tmp_path)
    assert report["fit"]["window"][0] >= 10 and report["fit"]["window_reason"] == "given by --window"
    sc = fit_json(capsys, tmp_path / "log.csv", "--kind", "sample_complexity", "--out", tmp_path)
    assert sc["fit"]["ci"][0] <= 2.0 <= sc["fit"]["ci"][1]           # T(eps) ~ eps^-2 for c ~ t^-1/2
    steps = np.arange(1, 60)
    rho = 0.9 * np.exp(np.random.default_rng(3).normal(0, 0.01, (steps.size, 8)))
    np.savez(tmp_path / "lin.npz", step=steps, value=np.cumprod(rho, axis=0))
    lin = fit_json(capsys, tmp_path / "lin.npz", "--kind", "linear", "--out", tmp_path)
    assert lin["fit"]["rho_ci"][0] <= 0.9 <= lin["fit"]["rho_ci"][1] * 1.001


def test_result_directory_and_to_dataframe(tmp_path, capsys):
    res = simulate(problems.from_config({"name": "quadratic", "dim": 4, "noise": {"kind": "gaussian", "sigma": 0.1}}),
                   optimizers.make("sgd", lr={"schedule": "inv", "lr": 1.0}), steps=2000, replicates=8, seed=0)
    res.save(tmp_path / "res")
    report = fit_json(capsys, tmp_path / "res", "--y", "gap", "--out", tmp_path)
    assert report["layout"] == "ratecheck result" and report["replicates"] == 8
    pd = pytest.importorskip("pandas")
    df = res.to_dataframe()
    assert isinstance(df, pd.DataFrame) and len(df) == res.checkpoints.size * 8
    df[["step", "replicate", "gap"]].to_csv(tmp_path / "back.csv", index=False)
    back = fit_json(capsys, tmp_path / "back.csv", "--y", "gap", "--replicate", "replicate", "--out", tmp_path)
    assert back["fit"]["exponent"] == pytest.approx(report["fit"]["exponent"], rel=1e-9)


@pytest.mark.parametrize("content, args, message", [
    ("step,seed,value\n1,0,1\n2,0\n", (), "line 3 has 2 fields"),
    ("time,a,b\n1,1,1\n", (), "no step column"),
    ("step,seed,value\n1,0,1\n", ("--y", "loss"), "no such column"),
    ("step,a,b\n1,1,1\n2,0.5,0.5\n3,0.3,0.3\n", (), "too few replicates"),
    ("step,a,b,c,d,e\n" + "".join(f"{k},{k},{-k},{k},{k},{k}\n" for k in range(1, 9)), (), "not positive"),
    ("step,a,b,c,d,e\n" + "".join(f"{k},1,1,1,x,1\n" for k in range(1, 9)), (), "not a number"),
    ("step,a,b,c,d,e\n" + "".join(f"{k},1,1,1,1,1\n" for k in range(0, 9)), (), "step 0 is not positive"),
    ("", (), "empty"),
])
def test_errors_are_one_line_exit_2_nothing_written(tmp_path, capsys, content, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    out = tmp_path / "out"
    assert main(["fit", str(path), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ratecheck: error:") and message in err
    assert not out.exists()


def test_malformed_npz_and_jsonl(tmp_path, capsys):
    (tmp_path / "x.npz").write_bytes(b"not a zip")
    (tmp_path / "x.jsonl").write_text('{"step": 1, "value": 2}\nnot json\n')
    for name, message in (("x.npz", "not a readable NPZ"), ("x.jsonl", "line 2 is not JSON")):
        assert main(["fit", str(tmp_path / name), "--out", str(tmp_path / "o")]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_wandb_wide_export_and_tensorboard_single_run(tmp_path, capsys):
    t, v = curves(replicates=6, seed=4)
    runs = [f"run-{r} - train/loss" for r in range(6)]
    header = ["Step"] + [c for r in runs for c in (r, r + "__MIN", r + "__MAX")] + ["_runtime"]
    with open(tmp_path / "wandb.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for k, tt in enumerate(t):
            w.writerow([tt] + [x for r in range(6) for x in (v[k, r], v[k, r] * 0.9, v[k, r] * 1.1)] + [k * 0.1])
    report = fit_json(capsys, tmp_path / "wandb.csv", "--y", "loss", "--out", tmp_path)
    assert report["replicates"] == 6 and report["x"] == "Step"
    (tmp_path / "tb.csv").write_text("Wall time,Step,Value\n" + "".join(f"{k}.5,{k},{1 / k}\n" for k in range(1, 20)))
    assert main(["fit", str(tmp_path / "tb.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "too few replicates for an interval: 1" in capsys.readouterr().err

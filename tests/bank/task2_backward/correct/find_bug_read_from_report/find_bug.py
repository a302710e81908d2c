# correct: reads the suspect off gradient_check's report, measures c with numerical_gradient; stray spaces
def my_suspects():

    import contextlib
    import io
    import re

    found = {}
    for name, (model, loss_fn_mystery, X_mystery, Y_mystery) in networks.items():
        report = io.StringIO()
        with contextlib.redirect_stdout(report):
            gradient_check(model, loss_fn_mystery, X_mystery, Y_mystery)
        line = next(line for line in report.getvalue().splitlines() if "<--" in line)
        where = re.match(r"\s*(\S+?)(?::| returns)", line).group(1)
        layer, _, attr = where.partition(".")
        linears = [n for n, module in model.modules.items() if hasattr(module, "W")]
        probe, attr = (layer, attr) if attr else (linears[linears.index(layer) - 1], "W")
        model.backward(loss_fn_mystery.backward(model(X_mystery), Y_mystery))
        stored = getattr(model.modules[probe], "d" + attr).copy()
        measured = numerical_gradient(lambda _: float(np.mean(loss_fn_mystery(model(X_mystery), Y_mystery))),
                                      getattr(model.modules[probe], attr))
        c = float(np.sum(stored * measured) / np.sum(measured * measured))
        m = X_mystery.shape[0]
        factors = {"m": m, "1/m": 1 / m, "-1": -1.0, "0": 0.0, "2": 2.0, "1/2": 0.5}
        found[name] = (where, min(factors, key=lambda key: abs(factors[key] - c)))
    return {name: (f" {where} ", f"{factor} ") for name, (where, factor) in found.items()}


suspects = record_suspects(my_suspects, STUDENT_ID)

"""Per-table run targets and per-paper smoke tests, all driving //experiments:reproduce."""

def table_targets(tables):
    """Defines `bazel run //experiments:<table>` for every table and `<paper>_smoke_test` per paper.

    Args:
      tables: dict from paper name to the list of its table names.
    """
    for paper, names in tables.items():
        for table in names:
            native.sh_binary(
                name = table,
                srcs = ["run_reproduce.sh"],
                args = ["--tables=" + table],
                data = [":reproduce"],
            )
        native.sh_test(
            name = paper + "_smoke_test",
            size = "large",
            srcs = ["smoke_test.sh"],
            args = ["--papers=" + paper],
            data = [":reproduce"],
        )

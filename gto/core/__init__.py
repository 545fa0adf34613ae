"""The pure core: tag grammar, versions, events, replay, state, plans, annotations, views,
moments (WHEN, as-of, diffs) and promotion rules.

Nothing here reads git, the disk, the clock or the environment, and nothing imports
dulwich, argparse or tabulate: values come in, values go out.
"""

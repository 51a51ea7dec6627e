"""lint (not implemented yet)."""


def add_arguments(parser):
    pass


def run(args):
    raise NotImplementedError("lint")

"""The ``fetchpool`` group: the main command checks URLs, and ``merge`` sits beside it."""

from __future__ import annotations

import click

MERGE = "merge"
_SUBCOMMAND_META = "fetchpool.subcommand"


class MainGroup(click.Group):
    """``fetchpool [OPTIONS] [SOURCE]...``, or ``fetchpool merge ...``.

    A Click group whose own callback is the main command, so it takes SOURCE
    arguments as a command does. Only an exact first argument ``merge`` names the
    subcommand; anything else is the main command's options and SOURCEs, so a file
    called ``merge`` is still read by ``fetchpool ./merge`` or ``fetchpool -- merge``.
    """

    allow_interspersed_args = True
    allow_extra_args = False

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args[:1] == [MERGE]:
            ctx.meta[_SUBCOMMAND_META] = True
            ctx.allow_interspersed_args = False
            ctx.allow_extra_args = True
            return super().parse_args(ctx, args)
        return click.Command.parse_args(self, ctx, args)

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        if ctx.meta.get(_SUBCOMMAND_META):
            # With a subcommand, SOURCE must not swallow its name and arguments.
            return [param for param in params if not isinstance(param, click.Argument)]
        return params

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        # "fetchpool [OPTIONS] [SOURCE]...", not a group's "[OPTIONS] COMMAND [ARGS]...".
        return click.Command.collect_usage_pieces(self, ctx)

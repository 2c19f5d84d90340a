"""The batch commands behind ``kortisto``'s subcommands.

Each prints a summary and exits non-zero on failure, for cron.
"""

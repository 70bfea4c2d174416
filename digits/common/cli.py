"""What every command line of the project shares: click's context settings."""

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

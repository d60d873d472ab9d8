"""crmcli: customer management for small shops, from the command line."""

__version__ = "0.1.0"

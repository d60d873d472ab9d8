"""The import commands, named as the core's `crmcli/imports/` modules: `customers import`
(customers.py), `purchases import` (purchases.py), `imports list | undo` (journal.py);
options.py holds what they share."""

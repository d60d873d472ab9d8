"""On PostgreSQL, a case-blind match is SQLite's NOCASE, and an index serves it.

crmcli matches e-mails (a customer reference, an import's matching) and tags (search)
without case. SQLite's NOCASE folds the letters A-Z and nothing else. The server had
an ICU collation named `nocase` (m123) standing in for it, but ICU folds every script
and more: Σ, σ and ς are one letter there, İ is i, ß may be ss, so two e-mails or tags
a file keeps apart were one on a server. And no index served it: the e-mail index was
on `lower(email)`, so each imported row read every customer (an import O(n²)).

Here `crmcli_nocase(text)` is SQLite's fold (`lower` under the "C" collation folds
A-Z only, whatever the database's own collation), the e-mail and tag indexes are on
it, and the ICU collation goes, so that no query can use it again unseen.
`Engine.nocase_equal` is the one spelling of the match on both engines.

SQLite: NOCASE itself, and its indexes (m001's on e-mails, m116's on tags) serve it.
"""

from __future__ import annotations

from sqlite_utils import Database


def migrate(db: Database) -> None:
    """SQLite's NOCASE and its indexes are the rule itself: nothing to add."""


POSTGRESQL = """
CREATE FUNCTION crmcli_nocase(x text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN lower(x COLLATE "C");

DROP INDEX customers_email;
CREATE INDEX customers_email ON customers (crmcli_nocase(email));
DROP INDEX customer_tags_tag_nocase;
CREATE INDEX customer_tags_tag_nocase ON customer_tags (crmcli_nocase(tag), customer_id);

DROP COLLATION nocase;
"""

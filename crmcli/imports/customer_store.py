"""Storing customer records: each matched to a stored customer (shop code, else phone,
else e-mail, else an exact name), then added, updated (per `--on-conflict`) or left
unchanged, every change recorded for `imports undo`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmcli import (
    customers,
    dates,
    locales,
    merge,
    names,
    phones,
)
from crmcli.contact_window import parse_days, parse_hours
from crmcli.customers import PLAIN_FIELDS
from crmcli.engines import batched
from crmcli.errors import InvalidValue
from crmcli.i18n import M_, M_n
from crmcli.imports import evidence, journal, reading
from crmcli.imports import undo as import_undo
from crmcli.imports.customer_record import (
    Record,
    record_name,
)
from crmcli.imports.problems import Problems, RejectsWriter, RowProblem, rejects_path
from crmcli.imports.result import Counts, DryRun, ImportResult, ProgressFn, Unchanged
from crmcli.progress import INDEXING, phase
from crmcli.text import nocase

# What a row that matches a stored customer does: `fill` (the default) fills in empty
# values and adds phones, tags and dates; `update` also replaces stored values (and a
# name that plainly differs); `add` stores a row whose name plainly differs from the
# customer it shares a phone or e-mail with as a customer of its own; `skip`; `error`.
ON_CONFLICT = ("fill", "update", "add", "skip", "error")
# The search indexes (trigrams, words) cost more per inserted customer (or phone) than all
# the rest of the row: a big import rebuilds them once (customers' own indexes stay:
# matching reads them).
SEARCH_UPKEEP = journal.Upkeep(
    ("customers", "customer_phones"), min_rows=5_000, share=0.25, indexes=False
)

if TYPE_CHECKING:
    from crmcli.engines import Engine


# --- matching and storing -----------------------------------------------------------------------


def _tokens_agree(short: list[str], long: list[str]) -> bool:
    """Each word of the shorter name is a word (or the initial) of a distinct word of the other."""
    left = list(long)
    for word in short:
        initial = word.rstrip(".")
        for i, other in enumerate(left):
            if other == word or (len(initial) == 1 and other.startswith(initial)):
                del left[i]
                break
        else:
            return False
    return True


def names_differ(stored: str | None, given: str | None) -> bool:
    """Whether two names plainly belong to different people.

    Folded as `customers dupes` folds them (NFKC, case, Hangul into its letters); word
    order, spacing, a missing middle name or an initial are not a difference, nor is one
    typo in a long Latin-script name. Names in different scripts cannot be compared
    (김민준 may well be Minjun Kim): that is not a plain difference either.
    """
    if not stored or not given:
        return False
    a, b = merge.name_key(stored), merge.name_key(given)
    if a.replace(" ", "") == b.replace(" ", ""):
        return False
    if names.script(stored) != names.script(given):
        return False
    ta, tb = a.split(), b.split()
    short, long = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if _tokens_agree(short, long) or (len(ta) == len(tb) and _tokens_agree(tb, ta)):
        return False
    if names.script(stored) == "latin" and len(ta) == len(tb):
        from rapidfuzz.distance import Levenshtein

        compact_a, compact_b = "".join(sorted(ta)), "".join(sorted(tb))
        if (
            min(len(compact_a), len(compact_b)) >= 8
            and Levenshtein.distance(compact_a, compact_b) <= 1
        ):
            return False
    return True


def _stored_names(db: Engine, ids: set[int]) -> dict[int, str | None]:
    marks = ", ".join("?" for _ in ids)
    return dict(db.execute(f"SELECT id, name FROM customers WHERE id IN ({marks})", sorted(ids)))


def match(db: Engine, record: Record, region: str) -> tuple[int | None, str]:
    """The stored customer this record describes, and how it was found: code, phone, e-mail.

    A phone or e-mail shared by several customers (a family) is narrowed to the one
    whose name the row gives.
    """
    code = record.fields.get("code")
    if code:
        row = db.execute("SELECT id FROM customers WHERE code = ?", [code]).fetchone()
        if row:
            return int(row[0]), "code"
    name = (record.fields.get("name") or "").strip()
    if name and not code and not record.phones and not record.fields.get("email"):
        # A row that gives only a name (and perhaps a birthday) has nothing else to be
        # found by: the one stored customer of that very name whose birthday does not
        # disagree is that customer, so a re-import finds its rows again.
        same = [
            cid
            for cid, birthday in db.execute(
                "SELECT id, birthday FROM customers WHERE name = ? AND forgotten_at IS NULL",
                [name],
            )
            if not (record.birthday and birthday and birthday != record.birthday)
        ]
        return (same[0] if len(same) == 1 else None), "name"
    candidates: set[int] = set()
    how = "phone"
    for raw, _label in record.phones:
        phone = phones.normalise_known(raw, record.region or region, record.e164)
        if phone.e164:
            sql = "SELECT customer_id FROM customer_phones WHERE e164 = ?"
            candidates |= {r[0] for r in db.execute(sql, [phone.e164])}
        elif phone.digits:
            sql = "SELECT customer_id FROM customer_phones WHERE digits = ?"
            candidates |= {r[0] for r in db.execute(sql, [phone.digits])}
        if candidates:
            break
    if not candidates and record.fields.get("email"):
        how = "e-mail"
        sql = f"SELECT id FROM customers WHERE {db.nocase_equal('email')}"
        candidates = {r[0] for r in db.execute(sql, [record.fields["email"]])}
    if code and candidates:  # a different shop code is a different customer
        sql = "SELECT id FROM customers WHERE id = ? AND (code IS NULL OR code = ?)"
        candidates = {c for c in candidates if db.execute(sql, [c, code]).fetchone()}
    if len(candidates) > 1 and record_name(record):
        stored = _stored_names(db, candidates)
        named = {c for c in candidates if not names_differ(stored[c], record_name(record))}
        if len(named) == 1:
            candidates = named
        elif not named:  # another family member again: a name conflict, not an ambiguity
            candidates = {min(candidates)}
    if len(candidates) > 1:
        ids = ", ".join(f"#{c}" for c in sorted(candidates)[:5])
        raise RowProblem(
            None,
            M_("matches several customers ({ids}); give a code to tell them apart").format(ids=ids),
            reason=M_("matches several customers: give each row a code to tell them apart"),
        )
    return (candidates.pop(), how) if candidates else (None, how)


def email_key(email: str) -> str:
    """An e-mail as the queue's and the known keys spell it. One spelling everywhere a key
    is made (`_queue`, `lookup_keys`, `_stored_keys`): keys folded two ways would miss
    each other. The fold is `match`'s own (`text.nocase`, A-Z only): a key is then
    exactly what the e-mail is matched by."""
    return nocase(email)


class KnownKeys:
    """The keys (`Writer.lookup_keys`) of every customer stored, in a few bits each: a
    Bloom filter. `may_hold` never says no for a key that was added; it says yes for
    about 1 in 100 that were not (the row is then matched in the database, as always).

    What it saves: three look-ups a row (code, phone, e-mail) in a first load, where
    nearly every row is a new customer; on a server, three round trips a row.
    """

    BITS_PER_KEY = 16  # two bits set a key: ~1.4 % false "maybe" when full
    MIN_BITS, MAX_BITS = 1 << 16, 1 << 27  # 8 KiB to 16 MiB

    def __init__(self, expected_keys: int) -> None:
        wanted = max(expected_keys, 1) * self.BITS_PER_KEY
        bits = min(max(1 << (wanted - 1).bit_length(), self.MIN_BITS), self.MAX_BITS)
        self.mask = bits - 1
        self.bits = bytearray(bits >> 3)

    def add(self, key: Any) -> None:
        self.add_all((key,))

    def add_all(self, keys: Iterable[Any]) -> None:
        bits, mask = self.bits, self.mask
        for key in keys:
            h = hash(key)
            i, j = h & mask, (h >> 32) & mask
            bits[i >> 3] |= 1 << (i & 7)
            bits[j >> 3] |= 1 << (j & 7)

    def may_hold(self, keys: Iterable[Any]) -> bool:
        bits, mask = self.bits, self.mask
        for key in keys:
            h = hash(key)
            i, j = h & mask, (h >> 32) & mask
            if bits[i >> 3] & (1 << (i & 7)) and bits[j >> 3] & (1 << (j & 7)):
                return True
        return False


def _stored_keys(db: Engine, known: KnownKeys) -> None:
    """Every stored customer's keys, as `Writer.lookup_keys` spells them."""
    for code, email, name in db.execute("SELECT code, email, name FROM customers"):
        if code:
            known.add(code)
        if email:
            known.add(email_key(email))
        if name:
            known.add(("n", name))
    for e164, digits in db.execute("SELECT e164, digits FROM customer_phones"):
        if e164:
            known.add(("e", e164))
        known.add(("d", digits))


class BatchKeys:
    """The keys (`Writer.lookup_keys`) of a batch of rows that are stored, found in one
    query per kind of key (`look_up`), and every key this import adds or learns while
    the batch is stored: `KnownKeys`' interface, exact, for a shop too big to read
    whole. A row none of whose keys is here is a new customer without a look-up.

    What it saves: on a server, a day's file of new customers made three round trips a
    row (code, number, e-mail, each missing); now a few a batch.
    """

    def __init__(self, keys: Iterable[Any] = ()) -> None:
        self.keys = set(keys)
        self.codes: dict[str, int] = {}  # a stored code → its customer (codes never change)
        self.ids: set[int] = set()  # every stored customer a key was found for

    def add(self, key: Any) -> None:
        self.keys.add(key)

    def add_all(self, keys: Iterable[Any]) -> None:
        self.keys.update(keys)

    def may_hold(self, keys: Iterable[Any]) -> bool:
        return not self.keys.isdisjoint(keys)

    def look_up(self, db: Engine, wanted: Iterable[Any]) -> None:
        """Add those of `wanted` (keys as `lookup_keys` spells them) that are stored.

        A code and a folded e-mail are both plain text: each is asked for as both, which
        can only find more (a superset costs a look-up, never a wrong "new")."""
        texts: list[str] = []
        kinds: dict[str, list[str]] = {"e": [], "d": [], "n": []}
        for key in wanted:
            if isinstance(key, str):
                texts.append(key)
            else:
                kinds[key[0]].append(key[1])
        # Each query's parameters stay well under either engine's limit.
        for part in _parts(texts):
            marks = ", ".join("?" for _ in part)
            for code, cid in db.execute(
                f"SELECT code, id FROM customers WHERE code IN ({marks})", part
            ):
                self.keys.add(code)
                self.codes[code] = cid
                self.ids.add(cid)
            # Case-blind as `match` is: a VALUES list joined through the engine's own fold
            # (an index serves it on both engines).
            values = ", ".join("(?)" for _ in part)
            for email, cid in db.execute(
                f"SELECT c.email, c.id FROM customers c JOIN (VALUES {values}) AS wanted"
                f" ON {db.nocase_equal('c.email', 'wanted.column1')}",
                part,
            ):
                self.keys.add(email_key(email))
                self.ids.add(cid)
        for kind, column, table, owner in (
            ("e", "e164", "customer_phones", "customer_id"),
            ("d", "digits", "customer_phones", "customer_id"),
            ("n", "name", "customers", "id"),
        ):
            for part in _parts(kinds[kind]):
                marks = ", ".join("?" for _ in part)
                for value, cid in db.execute(
                    f"SELECT {column}, {owner} FROM {table} WHERE {column} IN ({marks})", part
                ):
                    self.keys.add((kind, value))
                    self.ids.add(cid)


def _parts(values: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Writer:
    """Adds new customers in batches (`copy_rows`), and updates matched ones in place.

    Rows are checked in full before they are queued, so a bad row leaves nothing behind
    without a savepoint. Queued rows are not in the database yet: a record that could
    match one of them (same code, phone or e-mail) flushes the queue first, so matching
    sees exactly what a row-by-row import would. Memory is one batch, whatever the size.

    A row that matches a customer added earlier in the same file is the same customer
    again (an export with a row per address, say): its values are merged in, and a
    value that contradicts the earlier row's is a conflict, reported by line.

    A file at least as big as the shop (a first load, above all) reads the stored
    customers' keys once (`KnownKeys`): a row none of whose keys was ever stored or
    added is a new customer without a look-up. Any other row is matched as always.
    On a server only into an empty shop (see `_known_keys`). Into any other shop the
    keys of the next `LOOK_AHEAD` rows are looked up together (`BatchKeys`, `look_ahead`):
    again only a row with a stored key is matched one by one.
    """

    BATCH = 2_000
    # Keys are read from the stored customers when there are at most this many per row
    # of the file: reading one costs about what a row's look-ups do.
    KNOWN_KEYS_SHARE = 1.0
    # Rows whose keys are looked up in one query per kind of key, where the stored keys
    # are not read whole: the batch a server makes ~5 round trips for, not ~3 a row.
    # 0: each row looked up alone (tests compare the two).
    LOOK_AHEAD = 500

    def __init__(
        self,
        db: Engine,
        *,
        import_id: int,
        on_conflict: str,
        region: str,
        keep_region: bool = False,
        locale_context: locales.Context | None = None,
        expected_rows: int = 0,
    ) -> None:
        self.db = db
        self.locale_context = locale_context or customers.shop_context(db, region=region)
        self.import_id = import_id
        self.on_conflict = on_conflict
        self.region = region
        self.keep_region = keep_region  # numbers read in `region` keep it (not the setting's)
        self.with_phones = 0  # rows with a phone number, and those read in their own country
        self.own_country = 0
        self.now = dates.now_utc()
        # Ids are given here (as SQLite would: max + 1) so child rows can be batched too.
        self.first_id = self.db.next_id("customers")
        self.next_id = self.first_id
        self.rows: dict[tuple[str, ...], list[list[Any]]] = {}  # columns → rows
        self.phones: list[tuple[Any, ...]] = []
        self.tags: list[tuple[int, str]] = []
        self.dates: list[tuple[int, str, str, int]] = []
        self.added: list[int] = []
        self.keys: set[Any] = set()  # codes, ('e', e164), ('d', digits), folded e-mails
        self.kept: dict[str, int] = {}  # field → stored values kept where the file differs
        self.kept_rows = 0
        # Undo's digest of each customer as added, taken from the values inserted rather
        # than read back (a tenth of the import), for a row whose columns leave no other
        # column to a default (a later migration's column with a default would).
        self.states: dict[int, dict[str, Any]] = {}
        # Undo's record of each stored customer the file changed (id, before, after),
        # written with the next flush in one bulk load, before that flush's added rows
        # (the order the journal had when each was written at once).
        self.updates: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        self.defaulted = {
            c.name for c in db.columns("customers") if c.default is not None
        } - import_undo.NOT_COMPARED
        # After next_id: on a server it holds the customers' id lock, so no customer can
        # be added behind the keys read here until the import ends.
        self.known: KnownKeys | BatchKeys | None = self._known_keys(expected_rows)
        self.batched = self.known is None and self.LOOK_AHEAD > 0
        # The batch's stored customers its rows name (`look_ahead`), each read once: a
        # row that changes one takes it out, so a later row reads it as it is then.
        self.stored: dict[int, customers.Customer] = {}
        self.codes: dict[str, int] = {}

    def look_ahead(self, records: Iterable[Record]) -> None:
        """Before storing `records` (the next rows, in order): which of their keys are
        stored, in a few queries, where the whole shop's keys were not read.

        The queue's keys are in it too (queued, not written yet), and every key the
        rows add or learn as they are stored: each row is then matched exactly when a
        row-by-row import could find its customer. A key another till stores while the
        batch is stored is seen by the next batch's look-up (one row's look-up a moment
        earlier misses it the same way)."""
        if not self.batched:
            return
        wanted = {key for record in records for key in self.lookup_keys(record)}
        known = BatchKeys(self.keys)
        known.look_up(self.db, wanted - self.keys)
        self.known = known
        # The customers those keys belong to, whole, in four queries: a row that matches
        # one by its code then needs no query at all, nor one left unchanged.
        self.codes = known.codes
        _hold(self.db, known.ids)
        self.stored = customers.get_many(self.db, known.ids)

    def _known_keys(self, expected_rows: int) -> KnownKeys | None:
        most = int(self.KNOWN_KEYS_SHARE * expected_rows)
        # Counted no further than the file's size: a day's file into a shop of a million
        # does not count the million.
        stored = self.db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM customers LIMIT ?) AS shop", [max(most, 0) + 1]
        ).fetchone()[0]
        if stored > most:
            return None  # a day's file into a big shop: each row looked up
        if stored and not self.db.writes_alone:
            # On a server another session may give a stored customer a number or an
            # e-mail while the import runs: each row is looked up, as it sees them then.
            # An empty shop stays empty but for this import (the id lock, next_id).
            return None
        known = KnownKeys(4 * (stored + expected_rows))
        if stored:
            _stored_keys(self.db, known)
        return known

    def store(self, record: Record) -> str:
        """Add, update or leave the customer: 'added', 'updated', 'merged' or 'unchanged'."""
        if record.phones:
            self.with_phones += 1
            self.own_country += record.region is not None
        if not record.identity():
            raise RowProblem(
                None,
                M_("no name, code, phone or e-mail: nothing to know this customer by"),
                reason=M_("have no name, code, phone or e-mail: nothing to know the customer by"),
            )
        keys = self.lookup_keys(record)
        if self.keys and not self.keys.isdisjoint(keys):
            self.flush()  # a queued row may be this one's customer: `match` must see it
        code = record.fields.get("code")
        if self.known is not None and not self.known.may_hold(keys):
            existing, how = None, ""  # no customer ever had one of its keys
        elif code and code in self.codes:  # `match`'s first look-up, done for the batch
            existing, how = self.codes[code], "code"
        else:
            existing, how = match(self.db, record, self.region)
        if existing is None:
            self._queue(record)
            return "added"
        ours = existing >= self.first_id  # added earlier in this same file
        if not ours and self.on_conflict == "skip":
            return "unchanged"
        if not ours and self.on_conflict == "error":
            raise RowProblem(
                None,
                M_("already stored as customer #{id} (--on-conflict error)").format(id=existing),
                reason=M_("are already stored (--on-conflict error)"),
            )
        if how != "code" and (ours or self.on_conflict != "update"):
            read = self.stored.get(existing)
            stored = read["name"] if read else _stored_names(self.db, {existing})[existing]
            given = record_name(record)
            if names_differ(stored, given):
                if self.on_conflict == "add" and not ours:
                    self._queue(record)
                    return "added"
                raise RowProblem(
                    None,
                    M_(
                        "shares its {how} with customer #{id} ({stored}) but names {given}:"
                        " not the same person, so not updated"
                    ).format(how=how, id=existing, stored=stored, given=given),
                    reason=M_(
                        "share a phone or e-mail with a stored customer of another name"
                        ": not updated; add them as customers of their own with --on-conflict"
                        " add, or overwrite with --on-conflict update"
                    ),
                )
        replace = self.on_conflict == "update" and not ours
        with self.db.write():  # a savepoint: an update that fails leaves nothing behind
            outcome, differs = _update(
                self.db,
                existing,
                record,
                self.import_id,
                current=self.stored.pop(existing, None),
                updates=self.updates,
                replace=replace,
                merging=ours,
                locale_context=self.locale_context,
                region=record.region or self.region,
                keep_region=self.keep_region or record.region is not None,
            )
            if differs and ours:  # refused inside the savepoint: none of the row is merged
                said = "; ".join(f"{f} {old!r} there, {new!r} here" for f, old, new in differs)
                raise RowProblem(
                    None,
                    M_(
                        "the same customer as an earlier row (#{id}), with other values: {values}"
                    ).format(id=existing, values=said),
                    reason=M_("repeat an earlier row's customer with other values"),
                )
        if outcome == "updated":
            self._learn(record)
            if len(self.updates) >= self.BATCH:  # an import streams: records are not kept
                self.flush()
        if differs:
            self.kept_rows += 1
            for f, _old, _new in differs:
                self.kept[f] = self.kept.get(f, 0) + 1
        return "merged" if ours and outcome == "updated" else outcome

    def lookup_keys(self, record: Record) -> list[Any]:
        """What `match` may find this record's customer by, as the queue's keys spell it:
        its code, each number (international form, else digits), its e-mail folded, and
        its name only when it gives none of those (`match` then looks the name up)."""
        keys: list[Any] = []
        code = record.fields.get("code")
        if code:
            keys.append(code)
        for raw, _label in record.phones:
            phone = phones.normalise_known(raw, record.region or self.region, record.e164)
            keys.append(("e", phone.e164) if phone.e164 else ("d", phone.digits))
        email = record.fields.get("email")
        if email:
            keys.append(email_key(email))
        elif not keys:
            name = (record.fields.get("name") or "").strip()
            if name:
                keys.append(("n", name))
        return keys

    def _learn(self, record: Record) -> None:
        """A stored customer now has what `record` gives (a merge, an update): its keys,
        every spelling of them, go into the known keys."""
        known = self.known
        if known is None:
            return
        for key in self.lookup_keys(record):
            known.add(key)
        for raw, _label in record.phones:
            phone = phones.normalise_known(raw, record.region or self.region, record.e164)
            known.add(("d", phone.digits))
            if phone.e164:
                known.add(("e", phone.e164))
        for name in (record_name(record), (record.fields.get("name") or "").strip()):
            if name:
                known.add(("n", name))

    def _queue(self, record: Record) -> None:
        plain = {k: v for k, v in record.fields.items() if k in PLAIN_FIELDS}
        try:
            values = customers.new_values(
                name=record.fields.get("name"),
                birthday=record.birthday,
                birthday_lunar=record.birthday_lunar,
                birthday_leap=record.birthday_leap,
                contact_days=record.contact_days,
                contact_hours=record.contact_hours,
                do_not_contact=record.do_not_contact,
                extra=record.extra or None,
                now=self.now,
                phones_raw=record.phones,
                locale_context=self.locale_context,
                **plain,
            )
            phone_rows = customers.phone_rows(
                record.phones,
                record.region or self.region,
                record.e164,
                keep_region=self.keep_region or record.region is not None,
            )
            tags = dict.fromkeys(customers.clean_tag(t) for t in record.tags)
            labelled: dict[str, tuple[str, int]] = {}  # a label given twice: the last wins
            for label, day, lunar in record.dates:
                label, stored = customers.clean_date(label, day)
                labelled.pop(label, None)
                labelled[label] = (stored, int(lunar))
        except InvalidValue as exc:
            raise RowProblem(None, str(exc)) from None
        cid = self.next_id
        self.next_id += 1
        self.rows.setdefault(tuple(values), []).append([cid, *values.values()])
        self.phones.extend((cid, *row) for row in phone_rows)
        self.tags.extend((cid, t) for t in tags)
        self.dates.extend((cid, label, day, lunar) for label, (day, lunar) in labelled.items())
        self.added.append(cid)
        if self.defaulted <= values.keys():
            self.states[cid] = import_undo.added_state(
                values, phone_rows, tags, ((label, *v) for label, v in labelled.items())
            )
        added = []
        if values.get("code"):
            added.append(values["code"])
        for _position, _label, _raw, e164, digits, _region in phone_rows:
            if e164:
                added.append(("e", e164))
            added.append(("d", digits))
        if values.get("email"):
            added.append(email_key(values["email"]))
        if values.get("name"):
            added.append(("n", values["name"]))
        self.keys.update(added)
        if self.known is not None:
            self.known.add_all(added)
        if len(self.added) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the queued customers and everything that hangs on them."""
        db = self.db
        if self.updates:
            db.copy_rows(
                "import_changes",
                ("import_id", "table_name", "row_id", "action", "before", "after"),
                (
                    (int(self.import_id), "customers", cid, "update",
                     json.dumps(before, ensure_ascii=False), json.dumps(after, ensure_ascii=False))
                    for cid, before, after in self.updates
                ),
            )  # fmt: skip
            self.updates.clear()
        # The engine's bulk load: COPY on a server (one stream, not a statement a row).
        for columns, rows in self.rows.items():
            db.copy_rows("customers", ("id", *columns), rows)
        db.copy_rows(
            "customer_phones",
            ("customer_id", "position", "label", "raw", "e164", "digits", "region"),
            self.phones,
        )
        db.copy_rows("customer_tags", ("customer_id", "tag"), self.tags)
        db.copy_rows("customer_dates", ("customer_id", "label", "date", "lunar"), self.dates)
        # A digest of each customer as added: undo tells later hand edits by it.
        if self.added:
            now = self.states
            unread = [cid for cid in self.added if cid not in now]
            if unread:
                now.update(import_undo.states(self.db, unread))
            import_id = int(self.import_id)
            db.copy_rows(
                "import_changes",
                ("import_id", "table_name", "row_id", "action", "after"),
                (
                    (import_id, "customers", cid, "insert",
                     json.dumps({"digest": import_undo.digest(now[cid])}))
                    for cid in self.added
                ),
            )  # fmt: skip
            now.clear()
        self.rows.clear()
        self.phones.clear()
        self.tags.clear()
        self.dates.clear()
        self.added.clear()
        self.keys.clear()
        self.now = dates.now_utc()


def _hold(db: Engine, ids: Iterable[int]) -> None:
    """Customers about to be read to be updated: held until the import commits, so what
    it fills in or keeps is decided on them as they are stored (on a server a till may
    edit one meanwhile; SQLite's write lock already keeps the tills out)."""
    if db.locks_rows:
        db.execute(
            f"SELECT id FROM customers WHERE id IN ({db.json_values()}) ORDER BY id{db.locks_rows}",
            [json.dumps(sorted(ids))],
        ).fetchall()


def _same(field_name: str, stored: Any, given: Any) -> bool:
    if isinstance(stored, str) and isinstance(given, str):
        if field_name == "email":
            return nocase(stored) == nocase(given.strip())
        return names.fold(stored) == names.fold(given)
    return bool(stored == given)


def _update(
    db: Engine,
    customer_id: int,
    record: Record,
    import_id: int,
    *,
    replace: bool,
    merging: bool,
    region: str,
    keep_region: bool = False,
    locale_context: locales.Context | None = None,
    current: customers.Customer | None = None,
    updates: list[tuple[int, dict[str, Any], dict[str, Any]]],
) -> tuple[str, list[tuple[str, Any, Any]]]:
    """Bring a stored customer up to the row: fill in what is empty, add phones, tags and
    dates; with `replace`, also overwrite stored values that differ.

    Returns the outcome and the values the row gives that differ from stored ones and
    were kept (field, stored, file's): a merge reports them, a fill counts them. Undo's
    record of a stored customer changed goes to `updates`, for the writer's next flush.
    """
    if current is None:  # else read with its batch (`Writer.look_ahead`), unchanged since
        _hold(db, [customer_id])
        current = customers.get(db, customer_id)
    row = dict(current.fields)
    differs: list[tuple[str, Any, Any]] = []
    changes: dict[str, Any] = {}

    def take(key: str, stored: Any, given: Any) -> bool:
        """Whether `given` goes in: where nothing is stored, or replacing a different value."""
        if given in (None, ""):
            return False
        if stored in (None, ""):
            return True
        if _same(key, stored, given):
            return False
        if replace:
            return True
        if key == "name" and not names_differ(stored, given):
            return False  # 'Lee' and 'Lee L.': a way of writing it, not another value
        differs.append((key, stored, given))
        return False

    name = record.fields.get("name")
    new_name = name if name and take("name", row.get("name"), name) else None
    for key, value in record.fields.items():
        if key not in PLAIN_FIELDS or not value:
            continue
        if key in ("family_name", "given_name", "patronymic"):
            # Parts go with a name that goes in; alone they would rename the customer.
            if new_name and (not row.get(key) or replace):
                changes[key] = value
            continue
        if take(key, row.get(key), value):
            changes[key] = value
    birthday = record.birthday if take("birthday", row["birthday"], record.birthday) else None
    region_phones = {p.raw for p in current.phones}
    known_digits = {phones.digits(p.raw) for p in current.phones}
    new_phones = [
        (raw, label)
        for raw, label in record.phones
        if raw not in region_phones and phones.digits(raw) not in known_digits
    ]
    new_tags = [t for t in record.tags if t not in current.tags]
    stored_dates = {d.label: d for d in current.dates}
    new_dates = []
    for label, day, lunar in record.dates:
        old = stored_dates.get(label)
        if old is None or (replace and (old.date, old.lunar) != (day, bool(lunar))):
            new_dates.append((label, day, lunar))
        elif (old.date, old.lunar) != (day, bool(lunar)):
            differs.append((label, old.date, day))
    extra = dict(current.extra)
    new_extra = {}
    for key, value in record.extra.items():
        if key not in extra or (replace and extra[key] != value):
            new_extra[key] = value
        elif extra[key] != value:
            differs.append((key, extra[key], value))
    window = _window_changes(record, row)
    if not changes.get("locale") and locale_context is not None:
        # The file (or a new number with its country code) may tell more than the stored
        # locale rests on: a customer added by hand, now in a Japanese list.
        changes.update(
            customers.stronger_locale(
                current,
                name=new_name or row.get("name"),
                phones_raw=[p.raw for p in current.phones] + [raw for raw, _ in new_phones],
                reading=record.fields.get("name_reading") or row.get("name_reading"),
                context=locale_context,
            )
        )
    if not (
        changes
        or new_name
        or birthday
        or new_phones
        or new_tags
        or new_dates
        or new_extra
        or window
    ):
        return "unchanged", differs
    before: dict[str, Any] = {k: v for k, v in row.items() if k != "id"}
    children = import_undo.states(db, [customer_id])[customer_id]
    before.update({part: children[part] for part in import_undo.CHILDREN})
    try:
        customers.change(
            db,
            customer_id,
            current=current,
            name=new_name,
            birthday=birthday,
            birthday_lunar=record.birthday_lunar if birthday else None,
            **window,
            locale_context=locale_context,
            **changes,
        )
        if new_phones:  # added after the stored ones, which keep their normalised form
            customers.add_phones(
                db, customer_id, new_phones, region=region, known=record.e164,
                keep_region=keep_region,
            )  # fmt: skip
        if new_tags:
            customers.tag(db, customer_id, new_tags)
        for label, day, lunar in new_dates:
            customers.set_date(db, customer_id, label, day, lunar=lunar)
        if new_extra:
            extra.update(new_extra)
            db.execute(
                "UPDATE customers SET extra = ? WHERE id = ?",
                [json.dumps(extra, ensure_ascii=False), customer_id],
            )
    except InvalidValue as exc:
        raise RowProblem(None, str(exc)) from None
    after = import_undo.states(db, [customer_id])[customer_id]
    if merging:  # a customer this import added: its digest, as the merge leaves it
        db.execute(
            "UPDATE import_changes SET after = ? WHERE import_id = ? AND table_name = 'customers'"
            " AND row_id = ? AND action = 'insert'",
            [json.dumps({"digest": import_undo.digest(after)}), import_id, customer_id],
        )
    else:
        updates.append((customer_id, before, after))
    return "updated", differs


def _window_changes(record: Record, row: Mapping[str, Any]) -> dict[str, Any]:
    """Flags and the contact window the file sets and the stored record lacks (never blanks)."""
    out: dict[str, Any] = {}
    if record.birthday_leap and not row["birthday_leap"]:
        out["birthday_leap"] = True
    if record.do_not_contact and not row["do_not_contact"]:
        out["do_not_contact"] = True
    if record.contact_days and parse_days(record.contact_days) != row["contact_days"]:
        out["contact_days"] = record.contact_days
    hours = record.contact_hours
    if hours and parse_hours(hours) != (row["contact_from"], row["contact_until"]):
        out["contact_hours"] = hours
    return out


def _file_locale_said(guess: locales.Guess) -> str:
    """The language the file's own evidence gives, for the rows saying nothing stronger."""
    _kind, _, detail = guess.source.partition(":")
    if detail == "headers":
        return M_(
            "locale {locale} for the rows whose names and phones tell nothing stronger "
            "(the file's headers are in it)"
        ).format(locale=guess.locale)
    return M_(
        "locale {locale} for the rows whose names and phones tell nothing stronger "
        "(the file is encoded {encoding})"
    ).format(locale=guess.locale, encoding=detail)


def import_records(
    db: Engine,
    info: reading.FileInfo,
    source: Iterable[tuple[int, list[str], Record | RowProblem]],
    *,
    headers: Sequence[str],
    columns: dict[str, str | None],
    unmapped: list[str],
    options: Mapping[str, Any],
    on_conflict: str,
    dry_run: bool,
    skip_invalid: bool,
    rejects: Path | None,
    progress: ProgressFn | None,
    estimated_rows: int = 0,
    notes: Sequence[str] = (),
    replace_rejects: bool = False,
    region: evidence.RegionChoice | None = None,
) -> ImportResult:
    name = info.path.name
    result = ImportResult(
        kind="customers",
        file=name,
        encoding=info.encoding,
        counts=Counts(),
        dry_run=dry_run,
        columns=columns,
        unmapped=unmapped,
        notes=list(notes),
    )
    problems = Problems(name)
    if region is None:
        region = evidence.import_region(db, None, encoding=info.encoding)
    writer: RejectsWriter | None = None
    if skip_invalid and not dry_run:
        writer = RejectsWriter(
            rejects or rejects_path(info.path),
            headers,
            db=db,
            source=info.path,
            force=replace_rejects,
        )
    counts = result.counts
    try:
        # Every phone, tag or date row names a customer the import just gave an id, and
        # its own row was just inserted, in the same transaction: references unchecked
        # (the import deletes no customer, so no cascade is skipped).
        with db.references_unchecked(), db.write(), ExitStack() as aside:
            import_id = journal.begin(db, kind="customers", info=info, options=options)
            result.import_id = import_id
            bulk = None
            if not dry_run:
                bulk = aside.enter_context(journal.set_aside(db, SEARCH_UPKEEP, estimated_rows))
            # The file's own evidence of its customers' language (headers, encoding),
            # for the rows whose names and phones say nothing stronger.
            file_locale = evidence.file_evidence(headers=headers, encoding=info.encoding).locale
            if file_locale is not None:
                result.notes.append(_file_locale_said(file_locale))
            store = Writer(
                db,
                import_id=import_id,
                on_conflict=on_conflict,
                region=region.region,
                keep_region=region.explicit,
                locale_context=customers.shop_context(db, file=file_locale, region=region.region),
                expected_rows=estimated_rows,
            )
            for batch in batched(source, max(store.LOOK_AHEAD, 1)):
                store.look_ahead(item for _line, _cells, item in batch if isinstance(item, Record))
                for line, cells, item in batch:
                    if isinstance(item, Record):
                        try:
                            outcome = store.store(item)
                            setattr(counts, outcome, getattr(counts, outcome) + 1)
                            continue
                        except RowProblem as exc:
                            item = exc
                    problems.add_row(line, item)
                    counts.rejected += 1
                    if writer is not None:
                        writer.write(cells, item.summary())
            store.flush()
            if store.with_phones:
                result.notes.append(region.note(store.own_country))
            if bulk is not None:
                phase(progress, INDEXING)  # on a terminal: what the wait after the reading is
            aside.close()  # the search indexes built again, their triggers back
            journal.finish(db, import_id, counts)
            if store.kept:
                kept = ", ".join(f"{n} {f}" for f, n in sorted(store.kept.items()))
                result.notes.append(
                    M_n(
                        "{n} row gives values that differ from the stored ones ({kept}); the "
                        "stored values were kept (--on-conflict update replaces them)",
                        "{n} rows give values that differ from the stored ones ({kept}); the "
                        "stored values were kept (--on-conflict update replaces them)",
                        store.kept_rows,
                        kept=kept,
                    )
                )
            journal.finish_or_fail(
                result,
                problems,
                skip_invalid=skip_invalid,
                dry_run=dry_run,
                total_rows=sum(
                    (counts.added, counts.updated, counts.unchanged, counts.merged, counts.rejected)
                ),
                path=info.path,
            )
            if writer is not None:  # in place before the import commits (taken back if it fails)
                result.rejects = writer.finish()
    except DryRun:
        result.import_id = None
    except Unchanged:
        result.import_id = None
        result.notes.append(M_("nothing changed; nothing was written to the database"))
        if writer is not None:  # the lines refused again are still the user's to see
            result.rejects = writer.finish()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if unmapped:
        result.notes.append(
            M_("kept as extra fields: {columns}").format(columns=", ".join(unmapped))
        )
    return result

"""Translations: `_`, `ngettext` and `N_`, the one place crmcli's words are looked up.

The language is chosen as gettext chooses it — the first of LANGUAGE, LC_ALL,
LC_MESSAGES and LANG that is set (LANGUAGE may list several, `hy:ko`), `C` or `POSIX`
meaning "no translation" — else the setting `ui.language`, which the command line
hands in with `use_setting` (a shop whose terminal says `C.UTF-8`). A message missing
from a catalog is said in English, message by message.

Nothing is loaded for English: the catalog (a committed `.mo` under `locale/`, read with
the standard library's gettext) is opened on the first message said in another
language, so `crmcli --version` and a piped `due --format csv` pay nothing. Machine
output — CSV headers, JSON keys, field and option names, exit codes, ISO dates — never
goes through here.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterator, Sequence
    from re import Pattern
    from typing import IO, Any, Protocol

    class Translations(Protocol):
        """A language's catalog, or English: gettext's two look-ups."""

        def gettext(self, message: str, /) -> str: ...
        def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


DOMAIN = "crmcli"
# Beside this file; a plain path (not pathlib): every run imports this module.
LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")
# The catalogs shipped, in gettext's names (`zh_Hans`, not `zh_CN`: one catalog serves
# every region that writes simplified characters).
LANGUAGES = ("ko", "ja", "zh_Hans", "zh_Hant", "hy")
# Where gettext looks, in its order.
ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
# Chinese is told apart by script; a locale names a region, which implies one.
_TRADITIONAL = {"tw", "hk", "mo", "hant"}


class _English:
    """The source language: the message itself."""

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural

    def pgettext(self, context: str, message: str) -> str:
        return message


_ENGLISH = _English()
_setting: Callable[[], str | None] | None = None
_chosen: dict[tuple[object, ...], Translations] = {}
_made: dict[str, tuple[str, dict[str, object]]] = {}  # said()'s texts → template, values
_compiled: dict[object, list[tuple[str, Pattern[str]]]] = {}  # reword()'s patterns
_messages: dict[str, str] = {}  # M_()'s templates
_plurals: dict[str, tuple[str, str]] = {}  # M_n()'s templates → both English forms
_sayers: dict[str, Callable[[], str]] = {}  # said_by(): a text → how to say it translated
_aliases: dict[str, str] = {}  # means(): another way of saying a message


def N_(message: str) -> str:  # gettext's name for "mark now, translate later"
    """Mark `message` for the catalogs without translating it now (a constant's label)."""
    return message


def M_(template: str) -> str:
    """Mark `template` as a message the core says in English and a person reads translated.

    The core keeps saying it in English — an import's rejects file and a test read the
    same words under every language — and the command line finds the template again
    when it shows the message (`say_message`) and fills its translation. Registering is
    one dict store, at import time: nothing is translated or compiled until then.
    """
    _messages[template] = template
    return template


def M_n(singular: str, plural: str, n: int, **values: object) -> str:
    """A core message that counts: English's form for `n`, filled, said translated later.

    `M_` with ngettext's two forms (`M_n("{n} problem", "{n} problems", n)`): both are
    registered, and `say_message` finds either again and says the language's form for
    the count, the value of `{n}`. A message that names a list instead of counting it
    (`unknown kinds {kinds}`) is said in the form its English took: one, or more.
    """
    for template in (singular, plural):
        _messages[template] = template
        _plurals[template] = (singular, plural)
    return (singular if n == 1 else plural).format(n=n, **values)


def means(text: str, english: str) -> None:
    """`text` is `english` said another way (a verb agreeing with one line): say it so."""
    _aliases[text] = english


def say_message(text: str) -> str:
    """A message of the core (`M_`), or many lines of them, in the user's language.

    Line by line, indentation kept. A line `file:line: …` or `file:line: field: …` (an
    input file's problem) keeps where and the field (the file's own header) and says the
    reason. Text no template made stays as it is, and English costs nothing.
    """
    if not _messages or _translations() is _ENGLISH:
        return text
    return "\n".join(_say_line(line) for line in text.split("\n"))


def _say_line(line: str) -> str:
    body = line.lstrip(" ")
    indent = line[: len(line) - len(body)]
    said = _say_whole(body)
    if said is not body:
        return indent + said
    import re

    found = re.fullmatch(r"(.+?:\d+: )(?:([^:]+): )?(.+)", body, re.DOTALL)
    if found is None:  # `what: message` (a database's path, an option): the message said
        where, _colon, rest = body.partition(": ")
        said = _say_whole(rest) if rest else rest
        return indent + f"{where}: {said}" if said is not rest else line
    where, field, reason = found.groups()
    said = _say_whole(reason)
    if field is None:
        return indent + where + said
    if said is reason:  # what looked like a field may be the message's own first words
        whole = _say_whole(f"{field}: {reason}")
        if whole != f"{field}: {reason}":
            return indent + where + whole
    return indent + where + f"{field}: " + said


def _say_whole(text: str) -> str:
    """`text` reworded by the registered templates; `text` itself when none made it."""
    english = _aliases.get(text, text)
    templates = tuple(sorted(_messages, key=_literal_length, reverse=True))
    said = reword(english, templates, nested=_ALL)
    return text if said == english else said


class _Everything:
    def __contains__(self, item: object) -> bool:
        return True


_ALL: Any = _Everything()  # every placeholder of a message may hold another message


def _literal_length(template: str) -> int:
    # The most specific template first: the one with the most fixed words.
    import re

    return len(re.sub(r"\{[^{}]*\}", "", template)) if "{" in template else len(template) + 1000


def _(message: str) -> str:
    """`message` in the user's language, or as it is."""
    return _translations().gettext(message)


def pgettext(context: str, message: str) -> str:
    """`message` in the user's language, as meant in `context` (one English word, two senses)."""
    return _translations().pgettext(context, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n`, in the user's language."""
    return _translations().ngettext(singular, plural, n)


def said(template: str, **values: object) -> str:
    """`template` filled in English, remembered so a screen can say it translated.

    For text made before the language is known (a help built when its module loads): the
    English text is what every caller sees; `translate` turns it into the user's language.
    """
    text = template.format(**{k: _listed(v) for k, v in values.items()})
    _made[text] = (template, values)
    return text


def said_n(singular: str, plural: str, n: int, **values: object) -> str:
    """`said` for a text that counts: English's form for `n`; a screen says the language's.

    ngettext's two forms, as `M_n` takes them; the count is the value of `{n}`.
    """
    text = said(singular if n == 1 else plural, n=n, **values)
    _plurals[singular] = _plurals[plural] = (singular, plural)
    return text


def clauses(parts: Sequence[str]) -> str:
    """`a; b; c`: clauses of one sentence, each `said`, joined as the reader's language joins
    them (a screen says each clause too)."""
    *head, last = parts
    return said("{clauses}; {last}", clauses=clauses(head), last=last) if head else last


def said_by(text: str, say: Callable[[], str]) -> str:
    """`text`, made in English, remembered with how to say it in the user's language.

    For English built from many messages (a repeat rule in words): `translate`, and a
    `reword` finding it as a value, call `say` rather than read the words back.
    """
    _sayers[text] = say
    return text


def either(values: Sequence[str]) -> str:
    """`a, b or c`: alternatives named in a core message, their "or" in the reader's words.

    The core's message stays English (`sqlite or pg_dump`); the text is remembered as
    `said` remembers one, so that a screen saying the message finds it among the
    values and joins the same alternatives with the language's "or".
    """
    *head, last = values
    return said("{choices} or {last}", choices=tuple(head), last=last) if head else last


def _listed(value: object, say: Callable[[str], str] = str) -> object:
    # A tuple of texts is said as a list: `a, b, c` (each said again by `say`).
    return ", ".join(say(v) for v in value) if isinstance(value, tuple) else value


def translate(text: str) -> str:
    """`text` in the user's language: a message, or a text `said` made from one."""
    sayer = _sayers.get(text)
    if sayer is not None:
        return sayer()
    made = _made.get(text)
    if made is None:
        return _(text)
    template, values = made
    forms = _plurals.get(template)  # said_n's: the language's form for the count
    said = _(template) if forms is None else ngettext(*forms, int(values["n"]))  # type: ignore[call-overload]
    # A value that is itself a text said() made is said in the language too; any
    # other value (names, lists of options) as it is.
    return said.format(
        **{
            k: translate(v) if isinstance(v, str) and v in _made else _listed(v, _made_said)
            for k, v in values.items()
        }
    )


def _made_said(text: str) -> str:
    return translate(text) if text in _made else text


def reword(
    text: str, templates: Sequence[str], nested: Collection[str] = (), words: Collection[str] = ()
) -> str:
    """`text`, which one of `templates` made (in English), in the user's language.

    `templates` in order of preference: one wrapping another's text (`{why} (overdue
    since {late})`) before it, a longer before a shorter.

    For text the core writes in English because scripts read it too (an agenda item's
    `why` in CSV), and a person reads on a terminal: the template that made it is found
    again, and its translation filled with the same values. A value of a `nested`
    placeholder is reworded too (`lunar birthday (03-05)` in `{what} on {day}`); any
    other value (a name, a note) only when it is one of the templates word for word (a
    stage's name). A placeholder in `words` holds one word (a date, a count): that keeps
    `{what} on {day}, turns {years}` from reading `… turns 56 (overdue since …)`. Text no
    template made stays as it is.
    """
    if text in _made or text in _sayers:  # alternatives (`either`), a text `said` made
        return translate(text)
    for template, pattern in _patterns(tuple(templates), frozenset(words)):
        found = pattern.fullmatch(text)
        if found:
            values = {
                key: reword(_aliases.get(value, value), templates, nested, words)
                if key in nested
                else _fixed(value, templates)
                for key, value in found.groupdict().items()
            }
            return _fill(_template(template, values), values)
    return text


def _template(template: str, values: dict[str, str]) -> str:
    """`template`'s translation; for one of `M_n`'s, the language's form for its count."""
    forms = _plurals.get(template)
    if forms is None:
        return _(template)
    digits = values.get("n", "").replace(",", "")  # as the English reads: `1,234`
    n = int(digits) if digits.isdigit() else 1 if template == forms[0] else 2
    return ngettext(*forms, n)


def _fill(template: str, values: dict[str, str]) -> str:
    # The values were found in text already formatted: a conversion (`!r`) or a format
    # (`:,`) was applied when it was made, so each is put back as it reads.
    from string import Formatter

    return "".join(
        literal + (values[key] if key is not None else "")
        for literal, key, _spec, _conversion in Formatter().parse(template)
    )


def _fixed(value: str, templates: Sequence[str]) -> str:
    return _(value) if value in templates and "{" not in value else value


def _patterns(templates: tuple[str, ...], words: frozenset[str]) -> list[tuple[str, Pattern[str]]]:
    # In the caller's order: the first that matches wins (the outermost template first,
    # then the most specific). Compiled once per set, when a screen needs it.
    if (templates, words) in _compiled:
        return _compiled[templates, words]
    import re
    from string import Formatter

    made = []
    for template in templates:
        parts = []
        for literal, key, _spec, _conversion in Formatter().parse(template):
            parts.append(re.escape(literal))
            if key is not None and f"(?P<{key}>" in "".join(parts):
                parts.append(f"(?P={key})")  # said twice: the same text again
            elif key is not None:
                parts.append(f"(?P<{key}>\\S+?)" if key in words else f"(?P<{key}>.+?)")
        made.append((template, re.compile("".join(parts), re.DOTALL)))
    _compiled[templates, words] = made
    return made


def translations(*, english: bool = False) -> Translations:
    """The user's language's look-ups (`gettext`, `ngettext`), or English's."""
    return _ENGLISH if english else _translations()


def use_setting(reader: Callable[[], str | None] | None) -> None:
    """Where `ui.language` is read when the environment names no language (None: nowhere).

    Called at most once per language looked up, and only when a message is said.
    """
    global _setting
    _setting = reader


def catalog(language: str | None) -> str | None:
    """The shipped catalog for a locale name (`ko_KR.UTF-8` → `ko`), or None."""
    if not language:
        return None
    name = language.split(".")[0].split("@")[0].replace("-", "_")
    parts = name.lower().split("_")
    if parts[0] == "zh":
        return "zh_Hant" if _TRADITIONAL & set(parts[1:]) else "zh_Hans"
    return parts[0] if parts[0] in LANGUAGES else None


def environment_languages() -> list[str]:
    """The languages the environment asks for, in order, as gettext reads them.

    An empty list: the environment names none (unset, or `C`/`POSIX` first).
    """
    for name in ENVIRONMENT:
        value = os.environ.get(name)
        if value:
            wanted = []
            for item in value.split(":"):
                if item.split(".")[0] in ("C", "POSIX"):
                    break
                if item:
                    wanted.append(item)
            return wanted
    return []


def environment_decides() -> bool:
    """Whether the environment names a language crmcli speaks (English included).

    Then the setting `ui.language` is not read: gettext's variables come first.
    """
    return any(_is_english(w) or catalog(w) for w in environment_languages())


def _is_english(locale: str) -> bool:
    return locale.lower().split("_")[0].split(".")[0] == "en"


def language() -> str | None:
    """The catalog in use (`ko`…), or None for English."""
    for wanted in _chain():
        return wanted
    return None


def _chain() -> Iterator[str]:
    # The environment's languages that have a catalog; English once it is named (it is
    # the source: nothing after it is tried); else the setting.
    for wanted in environment_languages():
        if _is_english(wanted):
            return
        found = catalog(wanted)
        if found:
            yield found
    if environment_decides():
        return
    found = catalog(_setting() if _setting is not None else None)
    if found:
        yield found


def _translations() -> Translations:
    key = (*(os.environ.get(name) for name in ENVIRONMENT), _setting)
    chosen = _chosen.get(key)
    if chosen is None:
        chosen = _chosen[key] = _load(list(dict.fromkeys(_chain())))
    return chosen


def _load(languages: list[str]) -> Translations:
    if not languages:
        return _ENGLISH
    import gettext  # only when a language other than English is in use

    try:
        return gettext.translation(DOMAIN, LOCALE_DIR, languages=languages)
    except OSError:  # a catalog missing from a broken install: English, not a crash
        return _ENGLISH


def forget() -> None:
    """Drop the languages chosen so far (the setting changed, or a test changed them)."""
    _chosen.clear()


# --- extraction (pybabel extract; see babel.cfg) --------------------------------------


def extract_help(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """A Babel extractor for a command module: its `_()` messages and its help texts.

    Typer takes help from `help=` arguments, `rich_help_panel=` names and the docstrings
    of the functions it makes commands of: those are extracted as typer will hold them
    (`inspect.cleandoc`), so that the command line can look each one up when it shows
    help (crmcli/cli/help.py).
    """
    import ast
    import inspect

    from babel.messages.extract import extract_python

    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)
    groups_only = options.get("scope") == "groups"
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if groups_only:  # a command group's own help: `typer.Typer(help=…)`
            typer_app = isinstance(node, ast.Call) and _is_typer_app(node.func)
            keywords = node.keywords if typer_app else []  # type: ignore[attr-defined]
        else:
            keywords = [node] if isinstance(node, ast.keyword) else []
        for keyword in keywords:
            value = keyword.value
            literal = isinstance(value, ast.Constant) and isinstance(value.value, str)
            if keyword.arg in _HELP_ARGUMENTS and literal:
                yield value.lineno, None, inspect.cleandoc(value.value), []
        if isinstance(node, ast.FunctionDef) and _is_command(node, tree, groups_only):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield node.body[0].lineno, None, doc, []


_HELP_ARGUMENTS = ("help", "rich_help_panel")


def _is_typer_app(func: Any) -> bool:
    import ast

    return isinstance(func, ast.Attribute) and func.attr == "Typer"


def _is_command(node: Any, tree: Any, groups_only: bool) -> bool:
    """A function typer makes a command of: decorated, or a top-level one taking the context.

    `greet` and `demo` are made commands in cli/__init__.py (COMMANDS), not where they are
    written; with `scope = groups` only those count (they are the root help's lines).
    """
    import ast

    decorated = False
    for decorator in node.decorator_list:
        call = decorator.func if isinstance(decorator, ast.Call) else decorator
        decorated |= isinstance(call, ast.Attribute) and call.attr in ("command", "callback")
    args = node.args.args
    annotation = args[0].annotation if args else None
    takes_context = annotation is not None and ast.unparse(annotation) == "typer.Context"
    top_level = node in tree.body and not node.name.startswith("_")
    if groups_only:
        return top_level and takes_context and not decorated
    return decorated or (top_level and takes_context)

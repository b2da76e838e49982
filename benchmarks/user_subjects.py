"""Subjects as a new user writes them from the README, with the default training configuration.

They are not bundled and nothing in them is tuned: they show what the defaults reach on programs
the defaults were not chosen for by hand (see `user_defaults.py`).

- `date-format`: a date formatter, `strptime("%Y-%m-%d")` then `strftime("%d %B %Y")`; the
  grammar makes invalid dates too (February 29 of common years, April 31, month 13), which fail.
- `jq-sort`: `jq -S -c .`, JSON objects with their keys sorted and whitespace removed; string
  values are placeholders, keys are tokens (their order decides the output).
- `shell-words`: `json.dumps(shlex.split(line))`, a command line split into words; an unclosed
  quote fails.
- `snake-camel`: `snake_case` -> `SnakeCase`, letter by letter (every character a token); a name
  that does not start with a letter fails.
- `url-parts`: a URL's parts as JSON (`urllib.parse.urlsplit`, the query by `parse_qs`); words
  are placeholders, digits tokens (a port above 65535 fails), and the JSON's keys are words the
  input never holds.
- `csv-json`: one CSV line as a JSON list (`csv.reader(..., strict=True)`); words are
  placeholders; quoted fields hold commas and doubled quotes, and a quote left open or followed
  by text fails.
- `ipv6-explode`: an IPv6 address in its full form (`ipaddress.IPv6Address(s).exploded`), every
  character a token: groups padded to four digits, `::` expanded to the missing groups; too
  many groups, or `::` where no group is missing, fail.
- `calc`: `eval` of sums and products of numbers below 100, digits as tokens: arithmetic, which
  the README says a model of this size does not learn; here to show what the confidence makes
  of that.
- `rev`: the `rev` command (each line reversed, every character a token): a command, not a
  callable.
- `roman`: an integer as a Roman numeral, every character a token; 0, a negative number or one
  above 3999 fails.
- `json-pretty`: JSON indented by two (`json.dumps(json.loads(s), indent=2)`): strings are
  placeholders, the indentation follows the nesting; a trailing comma fails.
- `slug`: a title as a URL slug (lower case, runs of other characters one `-`), every character
  a token; a title without a letter or digit fails.
- `html-list`: items separated by `,` or `;` as an HTML list (`html.escape`d); words are
  placeholders, markup in the items is escaped; nothing to list fails. Its first tokenizer let
  words hold `'`, which `html.escape` writes `&#x27;`: training warned that content hidden in
  placeholders decides the answer (80 of 200 inputs; held-out exact match 49.5 %), and this is
  the tokenizer written after that warning.
"""
from __future__ import annotations

import csv
import datetime
import html
import ipaddress
import json
import re
import shlex
import shutil
import urllib.parse

from pytest_modelizer import LarkTokenizer, Subject
from pytest_modelizer.grammar import with_escape_rules


def user_subject(name: str, program, grammar: dict, tokens: LarkTokenizer, description: str,
                 output_tokens: LarkTokenizer | None = None) -> Subject:
    """A subject as a new user declares one: its own tokenizer for both sides unless told otherwise."""
    return Subject(name=name, program=program, grammar=grammar, input_tokenizer=tokens,
                   output_tokenizer=output_tokens or tokens, description=description)


def format_date(text: str) -> str:
    return datetime.datetime.strptime(text.strip(), "%Y-%m-%d").strftime("%d %B %Y")


def split_words(text: str) -> str:
    return json.dumps(shlex.split(text))


_DIGITS = [str(d) for d in range(10)]

DATE_GRAMMAR = {
    "<start>": ["<year>-<month>-<day>"],
    "<year>": ["19<d><d>", "20<d><d>"],
    "<month>": ["0<nz>", "10", "11", "12", "13"],
    "<day>": ["0<nz>", "1<d>", "2<d>", "30", "31"],
    "<nz>": [str(d) for d in range(1, 10)],
    "<d>": _DIGITS,
}

DATE_TOKENS = LarkTokenizer('DIGIT: /[0-9]/\nWORD: /[A-Za-z]+/\nOTHER.-1: /./s')

date_subject = user_subject("date-format", format_date, DATE_GRAMMAR, DATE_TOKENS,
                             "YYYY-MM-DD -> '01 March 2021' (datetime; invalid dates raise ValueError)")

JSON_GRAMMAR = {
    "<start>": ["<object>"],
    "<object>": ["{}", "{<members>}", "{ <members> }"],
    "<members>": ["<member>", "<member><comma><members>"],
    "<member>": ["<key><colon><value>"],
    "<comma>": [",", ", "],
    "<colon>": [":", ": "],
    "<key>": ['"id"', '"name"', '"tags"', '"size"', '"kind"', '"owner"', '"active"', '"items"'],
    "<value>": ["<string>", "<number>", "true", "false", "null", "[]", "[<values>]", "<object>"],
    "<values>": ["<value>", "<value><comma><values>"],
    "<string>": ['"<chars>"'],
    "<chars>": ["<char>", "<char><chars>"],
    "<char>": list("abcdefgxyz"),
    "<number>": ["<digit>", "<nzdigit><digit>", "<nzdigit><digit><digit>"],
    "<nzdigit>": [str(d) for d in range(1, 10)],
    "<digit>": _DIGITS,
}

JSON_TOKENS = LarkTokenizer(
    'KEY.2: /"(id|name|tags|size|kind|owner|active|items)"/\n'
    'STRING: /"[^"]*"/\nNUMBER: /[0-9]+/\nWORD: /[a-z]+/\nSP: /[ \\n]+/\nOTHER.-1: /./s',
    content=("STRING", "NUMBER"),
)

jq_subject = user_subject("jq-sort", ["jq", "-S", "-c", "."], JSON_GRAMMAR, JSON_TOKENS,
                           "JSON object -> keys sorted, compact (jq -S -c .)")

SHELL_GRAMMAR = {
    "<start>": ["<words>"],
    "<words>": ["<word>", "<word> <words>", "<word>  <words>"],
    "<word>": ["<bare>", "'<quoted>'", '"<quoted>"', "<bare>=<bare>", "-<bare>", "--<bare>", "'<quoted>",
               '"<quoted>'],
    "<bare>": ["<letters>"],
    "<quoted>": ["<letters>", "<letters> <letters>"],
    "<letters>": ["<letter>", "<letter><letters>"],
    "<letter>": list("abcdefghij"),
}

SHELL_TOKENS = LarkTokenizer('TEXT: /[a-j]+/\nSP: / +/\nOTHER.-1: /./s', content=("TEXT",))

shell_subject = user_subject(
    "shell-words", split_words, SHELL_GRAMMAR, SHELL_TOKENS,
    "command line -> JSON list of its words (shlex.split; an unclosed quote raises ValueError)")


def snake_to_camel(text: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", text):
        raise ValueError("not a snake_case name")
    return "".join(part[:1].upper() + part[1:] for part in text.split("_"))


CAMEL_GRAMMAR = {
    "<start>": ["<name>"],
    "<name>": ["<part>", "<part>_<name>", "<part>__<name>", "_<part>", "<part>_"],
    "<part>": ["<letter>", "<letter><letter>", "<letter><letter><letter>", "<letter><rest>"],
    "<rest>": ["<letter>", "<letter><rest>", "<digit>"],
    "<letter>": list("abcdefghijklmnopqrstuvwxyz"),
    "<digit>": _DIGITS,
}

CHARACTERS = LarkTokenizer("CHAR: /./s")

camel_subject = user_subject("snake-camel", snake_to_camel, CAMEL_GRAMMAR, CHARACTERS,
                              "snake_case name -> CamelCase (a name not starting with a letter raises ValueError)")


def split_url(text: str) -> str:
    parts = urllib.parse.urlsplit(text)
    return json.dumps({"scheme": parts.scheme, "host": parts.hostname, "port": parts.port, "path": parts.path,
                       "query": urllib.parse.parse_qs(parts.query), "fragment": parts.fragment})


URL_GRAMMAR = {
    "<start>": ["<scheme>://<host><port><path><query><fragment>"],
    "<scheme>": ["http", "https", "ftp"],
    "<host>": ["<word>", "<word>.<word>", "<word>.<word>.<word>"],
    "<port>": ["", ":<number>"],
    "<path>": ["", "/", "/<word>", "/<word>/<word>", "/<word>/<word>/"],
    "<query>": ["", "?<params>"],
    "<params>": ["<word>=<word>", "<word>=<word>&<params>", "<word>="],
    "<fragment>": ["", "#<word>"],
    "<word>": ["<letter>", "<letter><word>"],
    "<letter>": list("abcdefxyz"),
    "<number>": ["<d>", "<d><d>", "<d><d><d><d>", "<d><d><d><d><d><d>"],
    "<d>": _DIGITS,
}

URL_TOKENS = LarkTokenizer("WORD: /[a-z]+/\nDIGIT: /[0-9]/\nOTHER.-1: /./s", content=("WORD",))

url_subject = user_subject("url-parts", split_url, URL_GRAMMAR, URL_TOKENS,
                            "URL -> its parts as JSON (urllib.parse; a port above 65535 raises ValueError)")


def csv_to_json(text: str) -> str:
    return json.dumps(next(csv.reader([text], strict=True)))


CSV_GRAMMAR = {
    "<start>": ["<row>"],
    "<row>": ["<field>", "<field>,<row>"],
    "<field>": ["<plain>", "", '"<quoted>"', '<plain>"<plain>', " <plain>", '"<quoted>', '"<quoted>"<plain>'],
    "<plain>": ["<word>", "<word> <word>"],
    "<quoted>": ["<word>", "<word>,<word>", '<word> ""<word>""', ""],
    "<word>": ["<l>", "<l><word>"],
    "<l>": list("abcxyzABC019"),
}

CSV_TOKENS = LarkTokenizer("WORD: /[A-Za-z0-9]+/\nOTHER.-1: /./s", content=("WORD",))

csv_subject = user_subject("csv-json", csv_to_json, CSV_GRAMMAR, CSV_TOKENS,
                            "CSV line -> JSON list (csv.reader, strict: a stray quote raises csv.Error)")


def explode_ipv6(text: str) -> str:
    return ipaddress.IPv6Address(text).exploded


IPV6_GRAMMAR = {
    "<start>": ["<addr>"],
    "<addr>": ["<groups>", "<groups>::<groups>", "::<groups>", "<groups>::", "::"],
    "<groups>": ["<g>", "<g>:<groups>"],
    "<g>": ["<h>", "<h><h>", "<h><h><h>", "<h><h><h><h>"],
    "<h>": list("0123456789abcdef"),
}

ipv6_subject = user_subject("ipv6-explode", explode_ipv6, IPV6_GRAMMAR, CHARACTERS,
                             "IPv6 address -> its exploded form (ipaddress; a malformed address raises ValueError)")


def calculate(text: str) -> str:
    return str(eval(text, {"__builtins__": {}}))  # the grammar makes only digits, + - * and parentheses


CALC_GRAMMAR = {
    "<start>": ["<e>"],
    "<e>": ["<t>", "<t> + <e>", "<t> - <e>"],
    "<t>": ["<n>", "<n> * <n>", "(<e>)"],
    "<n>": ["<d>", "<d><d>"],
    "<d>": _DIGITS,
}

CALC_TOKENS = LarkTokenizer("DIGIT: /[0-9]/\nOP: /[-+*()]/\nWS: / +/\nOTHER.-1: /./s")

calc_subject = user_subject("calc", calculate, CALC_GRAMMAR, CALC_TOKENS,
                             "integer expression -> its value (eval)")

REV_GRAMMAR = {
    "<start>": ["<line>", "<line>\n<line>"],
    "<line>": ["<w>", "<w> <line>"],
    "<w>": ["<c>", "<c><w>"],
    "<c>": list("abcdefghij"),
}

rev_subject = user_subject("rev", ["rev"], REV_GRAMMAR, CHARACTERS,
                            "lines -> each reversed (the rev command)")


def roman_numeral(text: str) -> str:
    number = int(text)
    if not 0 < number < 4000:
        raise ValueError(f"{number} has no Roman numeral")
    numeral = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                           (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        count, number = divmod(number, value)
        numeral += letters * count
    return numeral


ROMAN_GRAMMAR = {
    "<start>": ["<n>", "<d>", "<d><d>", "<d><d><d>", "0", "-<n>"],
    "<n>": ["<d><d><d><d>"],
    "<d>": _DIGITS,
}

roman_subject = user_subject("roman", roman_numeral, ROMAN_GRAMMAR, CHARACTERS,
                              "integer -> Roman numeral (outside 1..3999 raises ValueError)")


def pretty_json(text: str) -> str:
    return json.dumps(json.loads(text), indent=2)


PRETTY_JSON_GRAMMAR = {
    "<start>": ["<value>"],
    "<value>": ["<object>", "<array>", "<string>", "<number>", "true", "null"],
    "<object>": ["{}", "{<members>}", "{<members>,}"],
    "<members>": ["<string>: <value>", "<string>: <value>, <members>"],
    "<array>": ["[]", "[<elements>]"],
    "<elements>": ["<value>", "<value>, <elements>"],
    "<string>": ['"<chars>"'],
    "<chars>": ["name", "id", "x", "hello world", "a_b"],
    "<number>": ["<d>", "<d><d>", "-<d>", "<d>.<d>"],
    "<d>": _DIGITS,
}

PRETTY_JSON_TOKENS = LarkTokenizer('STRING: /"[^"\\\\]*"/\nDIGIT: /[0-9]/\nWORD: /true|false|null/\nNL: /\\n */\n'
                                   'PUNCT: /[{}\\[\\],:.-]/\nSP: / +/\nOTHER.-1: /./s', content=("STRING",))

json_subject = user_subject("json-pretty", pretty_json, PRETTY_JSON_GRAMMAR, PRETTY_JSON_TOKENS,
                             "JSON -> JSON indented by two (invalid JSON raises JSONDecodeError)")


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not slug:
        raise ValueError("nothing to make a slug of")
    return slug


SLUG_GRAMMAR = {
    "<start>": ["<words>"],
    "<words>": ["<word>", "<word><gap><words>"],
    "<gap>": [" ", " - ", ", ", "! ", "  "],
    "<word>": ["<c>", "<c><word>"],
    "<c>": list("abcdeXYZ19"),
}

slug_subject = user_subject("slug", slugify, SLUG_GRAMMAR, CHARACTERS,
                             "title -> URL slug (no letter or digit raises ValueError)")


def html_list(text: str) -> str:
    items = [item.strip() for item in re.split(r"[,;]", text) if item.strip()]
    if not items:
        raise ValueError("nothing to list")
    return "<ul>\n" + "".join(f"<li>{html.escape(item)}</li>\n" for item in items) + "</ul>\n"


LIST_GRAMMAR = with_escape_rules({
    "<start>": ["<items>"],
    "<items>": ["<item>", "<item><sep><items>"],
    "<sep>": [",", ", ", ";", " ; ", ",,"],
    "<item>": ["<words>", "<words> & <words>", "<words> <lt>b<gt><words><lt>/b<gt>", " "],
    "<words>": ["<word>", "<word> <word>"],
    "<word>": ["apple", "pear", "fig", "x", "New York", "a1", "Tom's"],
})

_LIST_WORD = "WORD: /[A-Za-z0-9]+(?: [A-Za-z0-9]+)*/\n"

html_list_subject = user_subject(
    "html-list", html_list, LIST_GRAMMAR,
    LarkTokenizer(_LIST_WORD + "SEP: /[,;]/\nSP: / +/\nOTHER.-1: /./s", content=("WORD",)),
    "items -> HTML list (html.escape; nothing to list raises ValueError)",
    output_tokens=LarkTokenizer(_LIST_WORD + "TAG: /<\\/?(?:ul|li)>\\n?/\nENT: /&#?[a-z0-9]+;/\nOTHER.-1: /./s",
                                content=("WORD",)))


def user_subjects() -> list[Subject]:
    """The user-style subjects whose program is available here (jq and rev are commands that may be missing)."""
    subjects = [date_subject, shell_subject, camel_subject, url_subject, csv_subject, ipv6_subject, calc_subject,
                roman_subject, json_subject, slug_subject, html_list_subject]
    if shutil.which("jq"):
        subjects.insert(1, jq_subject)
    if shutil.which("rev"):
        subjects.append(rev_subject)
    return subjects

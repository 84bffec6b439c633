"""Logins for every author: WordPress's importer maps posts to users by login (dc:creator)."""
import re
import unicodedata

_NOT_LOGIN = re.compile(r"[^a-z0-9_.@-]+")
# letters NFKD does not take apart into a Latin letter and a mark
_LATIN = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "đ": "d",
                        "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH", "ð": "d", "ı": "i"})


def login_base(author: dict) -> str:
    """A login WordPress's sanitize_user(strict) keeps as it is, from what the archive knows."""
    for name in (author.get("nicename"), author.get("display_name"), author.get("email", "").split("@")[0]
                 if author.get("email") else None):
        if name:
            ascii_name = unicodedata.normalize("NFKD", name.translate(_LATIN)).encode("ascii", "ignore").decode().lower()
            login = _NOT_LOGIN.sub("-", ascii_name).strip("-.")
            if login:
                return login[:60]
    return f"author-{author['wp_id']}" if author.get("wp_id") is not None else "author"


def with_logins(authors: list[dict]) -> list[dict]:
    """Each author with `export_login`: its own login, else one derived and unique on the site
    (case-insensitively, as WordPress compares them). Sorted by login, so a re-export of the same
    authors lists them in the same order however the archive numbered them."""
    taken = {a["login"].lower() for a in authors if a.get("login")}
    for author in authors:
        if author.get("login"):
            author["export_login"] = author["login"]
            continue
        base = login_base(author)
        login, n = base, 1
        while login.lower() in taken:
            n += 1
            login = f"{base}-{n}"
        taken.add(login.lower())
        author["export_login"] = login
    return sorted(authors, key=lambda a: a["export_login"])

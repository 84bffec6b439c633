"""`_wp_attachment_metadata`, the PHP-serialized array a WXR export carries for each attachment:
the names of the sizes WordPress generated and of the original behind a `-scaled` file.

Real exports carry broken values: a search-and-replace over the database changes a string
without its declared length. Such a value is read again with every length recounted; one that
still does not read is a problem for the caller to record, never a crash.
"""
import re
from dataclasses import dataclass, field

import phpserialize

MAX_VALUE = 1 << 20  # a metadata array is a few KB; more is no metadata


class BrokenMetadata(ValueError):
    """The value is not a PHP-serialized array, even with its string lengths recounted."""


@dataclass
class AttachmentMetadata:
    sizes: list[str] = field(default_factory=list)  # file names, beside the attachment's own file
    original_image: str | None = None
    repaired: bool = False  # read only after its string lengths were recounted


def attachment_metadata(value: str | None) -> AttachmentMetadata | None:
    """The sizes and original named in the value; None when there is no value. Raises
    BrokenMetadata for a value that cannot be read."""
    if not value or not value.strip():
        return None
    if len(value) > MAX_VALUE:
        raise BrokenMetadata(f"{len(value):,} characters, more than an attachment's metadata")
    repaired = False
    try:
        data = _loads(value)
    except ValueError:
        repaired = True
        try:
            data = _loads(recounted(value))
        except ValueError as error:
            raise BrokenMetadata(f"not a PHP-serialized array ({error})") from None
    if not isinstance(data, dict):
        raise BrokenMetadata("not a PHP-serialized array")
    return AttachmentMetadata(_size_files(data.get("sizes")), _name(data.get("original_image")), repaired)


def _loads(value: str):
    try:
        return phpserialize.loads(value.strip().encode("utf-8"), decode_strings=True)
    except (ValueError, TypeError, KeyError, IndexError, RecursionError, UnicodeDecodeError) as error:
        raise ValueError(str(error) or error.__class__.__name__) from None


def _size_files(sizes) -> list[str]:
    if not isinstance(sizes, dict):
        return []
    names = (_name(size.get("file")) for size in sizes.values() if isinstance(size, dict))
    return list(dict.fromkeys(name for name in names if name))


def _name(value) -> str | None:
    """A file name as WordPress stores it for a size: a bare name; anything else is ignored."""
    if not isinstance(value, str) or not value or "/" in value or value in (".", ".."):
        return None
    return value


_STRING = re.compile(r's:\d+:"(.*?)";(?=[sibdaON]:|[}]|$)', re.S)


def recounted(value: str) -> str:
    """The value with every string's declared length set to its UTF-8 length."""
    return _STRING.sub(lambda m: f's:{len(m.group(1).encode("utf-8"))}:"{m.group(1)}";', value.strip())

"""Parsing small XML documents fetched from the web (feeds, sitemaps) without entity expansion,
DTDs or network access."""
from lxml import etree

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                         recover=True, remove_pis=True)


def parse(content: bytes):
    """The root element, or None for something that is not XML. DOCTYPEs are refused."""
    head = content[:2048].lstrip()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in content[:8192]:
        return None
    try:
        return etree.fromstring(content, PARSER)
    except etree.XMLSyntaxError:
        return None


def local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""

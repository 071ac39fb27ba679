"""The 32-bit string hash behind Privatefolio's deterministic ids."""

_MODULUS = 1 << 32


def string_hash(text: str) -> str:
    """Java's ``String.hashCode`` over UTF-16 code units, taken unsigned, as a decimal string."""
    value = 0
    encoded = text.encode("utf-16-le", "surrogatepass")
    for index in range(0, len(encoded), 2):
        value = (value * 31 + (encoded[index] | encoded[index + 1] << 8)) % _MODULUS
    return str(value)


def utf16_length(text: str) -> int:
    """The JavaScript ``string.length`` of a text: its count of UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2

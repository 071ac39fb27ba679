"""ccxt's exceptions turned into messages a user can act on, with every secret taken out.

The messages name the exchange and say what to check; they never quote the key or secret, and
the one case that quotes the exchange's own words (an unclassified exchange error) is redacted.
"""

from typing import Any

from privatefolio_daemon.sources.connection_source import SyncError

REDACTED = "***"
MAX_QUOTED_CHARS = 200
# Exchange answers that mean "wrong secret" but that ccxt files under a plain ExchangeError.
_BAD_SIGNATURE_TEXTS = ("EAPI:Invalid signature",)


class RejectedKey(SyncError):
    """The exchange refused the API key or secret itself (not one permission of it): nothing
    else this sync asks can succeed, so a history that may fail on its own fails the sync."""


def redact(text: str, secrets: tuple[str | None, ...]) -> str:
    """``text`` with every non-empty secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def is_unreachable(error: BaseException) -> bool:
    """ccxt reports a refused connection or unknown host as ``ExchangeNotAvailable`` too."""
    import aiohttp
    import ccxt.async_support as ccxt_async

    return isinstance(error, ccxt_async.ExchangeNotAvailable) and isinstance(
        error.__cause__, OSError | aiohttp.ClientConnectionError
    )


def is_retryable(error: BaseException) -> bool:
    """Rate limits, 5xx answers and failures ccxt files as temporary are worth another try;
    everything else fails at once."""
    import ccxt.async_support as ccxt_async

    if is_unreachable(error):
        return False
    return isinstance(
        error,
        ccxt_async.DDoSProtection | ccxt_async.RateLimitExceeded | ccxt_async.ExchangeNotAvailable,
    ) or _is_temporary_failure(error)


def _is_temporary_failure(error: BaseException) -> bool:
    """ccxt's plain ``OperationFailed``: a failure ccxt files as temporary, such as Binance's
    HTTP 500 with code -1000 ("An unknown error occurred while processing the request") or
    -1004 ("Server is busy"). Its subclasses (a timeout, an unreadable answer) are not it."""
    import ccxt.async_support as ccxt_async

    return type(error) is ccxt_async.OperationFailed


def sync_error(
    error: BaseException,
    name: str,
    *,
    secrets: tuple[str | None, ...],
    attempts: int = 1,
    timeout_ms: int = 10_000,
) -> SyncError:
    """The ``SyncError`` for a ccxt failure at ``name`` (the exchange's display name); a
    ``RejectedKey`` when the exchange refused the key or secret."""
    message = redact(_message(error, name, attempts, timeout_ms, secrets), secrets)
    return RejectedKey(message) if _is_rejected_key(error) else SyncError(message)


def _is_rejected_key(error: BaseException) -> bool:
    import ccxt.async_support as ccxt_async

    if isinstance(error, ccxt_async.PermissionDenied):
        return False
    return isinstance(error, ccxt_async.AuthenticationError) or _is_bad_signature(error)


def malformed_secret_error(name: str, secret_format: str) -> SyncError:
    """The ``SyncError`` for a secret that ccxt could not sign a request with (a Kraken secret
    that is not base64, a Coinbase PEM that does not parse): the user's copy is at fault, not the
    exchange, and no request went out. The secret is not quoted."""
    advice = (
        f"{secret_format}; copy it again, whole."
        if secret_format
        else f"Copy it again, whole, as {name} showed it."
    )
    return RejectedKey(f"The {name} API secret is malformed: it cannot sign a request. {advice}")


def _message(
    error: BaseException,
    name: str,
    attempts: int,
    timeout_ms: int,
    secrets: tuple[str | None, ...],
) -> str:
    import ccxt.async_support as ccxt_async

    if isinstance(error, ccxt_async.PermissionDenied):
        return (
            f"The {name} API key lacks a permission this sync needs. "
            "Allow the key to read the account and try again."
        )
    if isinstance(error, ccxt_async.AuthenticationError) or _is_bad_signature(error):
        return (
            f"{name} rejected the API key or secret. Check that both were copied correctly "
            "and that the key is still active."
        )
    if is_unreachable(error):
        return f"Could not reach {name}. Check the internet connection and try again."
    if isinstance(error, ccxt_async.DDoSProtection | ccxt_async.RateLimitExceeded):
        return (
            f"{name} is rate limiting requests (still refused after {attempts} attempts). "
            "Try again in a few minutes."
        )
    if isinstance(error, ccxt_async.ExchangeNotAvailable):
        return (
            f"{name} is unavailable right now (still failing after {attempts} attempts). "
            "Try again later."
        )
    if isinstance(error, ccxt_async.InvalidNonce):
        return (
            f"{name} rejected the request time. Check that this computer's clock is set correctly."
        )
    if isinstance(error, ccxt_async.RequestTimeout):
        return f"{name} did not answer within {timeout_ms / 1000:g} seconds."
    if isinstance(error, ccxt_async.NetworkError):
        return f"Could not reach {name}. Check the internet connection and try again."
    if isinstance(error, ccxt_async.BadResponse):
        return f"{name} sent a response that could not be read."
    if _is_temporary_failure(error):
        return (
            f"{name} returned an error (still failing after {attempts} attempts): "
            f"{_quoted(error, secrets)}"
        )
    return f"{name} returned an error: {_quoted(error, secrets)}"


def _is_bad_signature(error: BaseException) -> bool:
    return any(text in str(error) for text in _BAD_SIGNATURE_TEXTS)


def exchange_text(error: BaseException, secrets: tuple[str | None, ...]) -> str:
    """ccxt's own text for an error (the exchange's answer, say), redacted, for the log."""
    return _quoted(error, secrets)


def _quoted(error: Any, secrets: tuple[str | None, ...]) -> str:
    """The error's text, redacted before it is cut short (a secret cut in two would stay)."""
    text = redact(str(error).strip() or type(error).__name__, secrets)
    if len(text) > MAX_QUOTED_CHARS:
        text = text[: MAX_QUOTED_CHARS - 1] + "…"
    return text

"""Reading Stripe through its official SDK: every page of a list, retried on 429 and 5xx.

The API key is held by the SDK client only: it is never logged, printed, stored or put in a
message. `api_base` points the SDK at another server (a local fake Stripe in the tests).
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from netretain.connectors.errors import ConnectorError

PAGE = 100
RETRIES = 6
FIRST_DELAY, MAX_DELAY = 0.5, 20.0
# Lists netretain reads, with the parameters that ask for every object (canceled ones too).
LISTS: dict[str, dict[str, Any]] = {
    "products": {},
    "customers": {},
    "subscriptions": {"status": "all"},
    "invoices": {},
    "credit_notes": {},
    "test_helpers.test_clocks": {},
}

# Lists a Stripe-compatible server may lack (localstripe has no credit notes or test clocks): a
# 404 there is none.
OPTIONAL = frozenset({"credit_notes", "test_helpers.test_clocks"})

Sleep = Callable[[float], None]
Page = Callable[[str, int], None]  # (list name, objects read so far)


class StripeSource:
    """A Stripe account read through `stripe.StripeClient`."""

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None = None,
        retries: int = RETRIES,
        sleep: Sleep = time.sleep,
    ):
        try:
            import stripe
        except ImportError:
            raise ConnectorError(
                "Stripe support is not installed: pip install 'netretain[connectors]'"
            ) from None
        if not api_key:
            raise ConnectorError("no Stripe API key: set STRIPE_API_KEY or give --api-key-file")
        bases: Any = {"api": api_base.rstrip("/")} if api_base else {}
        # netretain retries itself (429 included, which the SDK leaves alone without a header)
        self._client = stripe.StripeClient(api_key, base_addresses=bases, max_network_retries=0)
        self._stripe = stripe
        # test clocks exist in test mode only (a live key may not even list them)
        self.test_mode = api_key.startswith(("sk_test_", "rk_test_"))
        self.retries = retries
        self.sleep = sleep

    def objects(
        self, name: str, on_page: Page | None = None, params: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every object of a list (customers, subscriptions, invoices) as plain dicts, page by
        page (`starting_after` the last id), each page retried on a rate limit or server error.
        An invoice comes with all its lines, however many pages they take. `params` narrows the
        list (`test_clock`, `customer`)."""
        service = self._service(name)
        seen = 0
        extra = {**LISTS[name], **(params or {})}
        pages = self._pages(name, lambda params: service.list(params=params), extra)
        try:
            first = next(pages)
        except ConnectorError as exc:
            if name in OPTIONAL and exc.status == 404:
                return
            raise
        except StopIteration:
            return
        for page in itertools.chain([first], pages):
            for obj in page:
                if name == "invoices":
                    obj = self._whole_invoice(obj)
                yield obj
            seen += len(page)
            if on_page:
                on_page(name, seen)

    def retrieve(self, name: str, object_id: str) -> dict[str, Any]:
        """One object by id (a subscription schedule, a coupon), retried like a page."""
        service = self._service(name)
        return self._call(name, lambda: service.retrieve(object_id)).to_dict()

    def _service(self, name: str) -> Any:
        """The SDK's service for a list: `subscriptions`, or `test_helpers.test_clocks`."""
        service: Any = self._client.v1
        for part in name.split("."):
            service = getattr(service, part)
        return service

    def _whole_invoice(self, invoice: dict[str, Any]) -> dict[str, Any]:
        """An invoice whose embedded `lines` list was cut (`has_more`) with the rest fetched."""
        lines = invoice.get("lines") or {}
        if not lines.get("has_more"):
            return invoice
        service: Any = self._client.v1.invoices.line_items
        data = [
            line
            for page in self._pages(
                "invoice lines", lambda params: service.list(invoice["id"], params=params), {}
            )
            for line in page
        ]
        return {**invoice, "lines": {**lines, "data": data, "has_more": False}}

    def _pages(
        self, name: str, request: Callable[[dict[str, Any]], Any], extra: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """Each page of a list as plain dicts, following `has_more` with `starting_after`."""
        params: dict[str, Any] = {"limit": PAGE, **extra}
        while True:
            page = self._call(name, lambda: request(dict(params)))
            yield [obj.to_dict() for obj in page.data]
            if not page.has_more or not page.data:
                return
            params["starting_after"] = page.data[-1].id

    def _call(self, name: str, request: Callable[[], Any]) -> Any:
        """One request; a 429, a 5xx or a lost connection is tried again after an exponential
        delay with jitter (half to all of 0.5 s, 1 s, 2 s ... up to 20 s)."""
        stripe = self._stripe
        for attempt in range(self.retries + 1):
            try:
                return request()
            except stripe.AuthenticationError:
                raise ConnectorError(
                    "Stripe refused the API key: check STRIPE_API_KEY (or --api-key-file)"
                ) from None
            except stripe.StripeError as exc:
                status = exc.http_status
                transient = isinstance(exc, stripe.APIConnectionError) or status in (409, 429)
                if not (transient or (status or 0) >= 500) or attempt == self.retries:
                    error = ConnectorError(_message(name, exc, attempt))
                    error.status = status
                    raise error from None
                delay = min(MAX_DELAY, FIRST_DELAY * 2**attempt)
                self.sleep(delay * random.uniform(0.5, 1.0))
        raise AssertionError("unreachable")


def _message(name: str, exc: Any, attempt: int) -> str:
    status = exc.http_status or "no answer"
    detail = " ".join(str(exc.user_message or type(exc).__name__).split())
    tries = f" after {attempt + 1} tries" if attempt else ""
    return f"Stripe failed listing {name}{tries} ({status}): {detail}; nothing was synced"

"""app/prices.py on plain data: when a catalogue price is a change."""

from app.prices import Price, changed_fields, next_price


def test_the_first_known_prices_are_a_row_unknown_ones_are_not():
    assert next_price(None, Price(0.1, 0.4, 0.05)) == Price(0.1, 0.4, 0.05)
    assert next_price(None, Price()) is None


def test_only_a_difference_is_a_new_row():
    newest = Price(0.1, 0.4, 0.052)
    assert next_price(newest, Price(0.1, 0.4, 0.052)) is None
    assert next_price(newest, Price(0.1, 0.4, 0.052 + 1e-15)) is None  # float noise
    assert next_price(newest, Price(0.1, 0.4, 0.0104)) == Price(0.1, 0.4, 0.0104)
    assert changed_fields(newest, Price(0.2, 0.4, 0.0104)) == ("prompt", "cache_read")


def test_a_price_the_source_does_not_give_carries_over():
    # The web pages carry no cache-read price: unknown is not changed.
    newest = Price(0.1, 0.4, 0.052)
    assert next_price(newest, Price(0.1, 0.4, None)) is None
    assert next_price(newest, Price(0.2, 0.4, None)) == Price(0.2, 0.4, 0.052)

"""cswh: the customer-success warehouse."""

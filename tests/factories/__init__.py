"""factory_boy factories, one module per domain; state-named where state matters."""

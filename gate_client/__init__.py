"""The gate client: scanning station, decoder, visit assembly and operator display."""

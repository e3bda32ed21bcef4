"""Comparison keys computed from the validated tables: normalised names, document references,
identifiers (IBAN, SIREN/VAT). Below parties and matchers, above schemas; computed once per run.
"""

"""Households and their members, with 身份证 validation and masking."""

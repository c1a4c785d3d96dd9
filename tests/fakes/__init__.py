"""Local fake servers speaking third-party protocols (Meta, Google Ads, GA4, Google OAuth, Shopify) for tests.

The shared harness is ``fakes.server``; each API has one module.
"""
